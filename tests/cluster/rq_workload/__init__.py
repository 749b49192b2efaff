"""What the RQ checks (tests/cluster/test_tasks_rq.py) give the workers to do: tasks and a
periodic job that write what they did into a table of the shared database (``effects``),
so the test counts effects, not messages about them."""
