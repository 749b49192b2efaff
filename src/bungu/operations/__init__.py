"""The shop's operations: the periodic jobs every app declares, and flows that span apps.

Each app keeps its own job functions and declares them in its ``jobs.py`` (``bungu.periodic``);
this app only finds them and runs each one when it is due.
"""
