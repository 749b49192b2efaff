"""Bungu: a web shop for Japanese pens and stationery whose privacy notice is kept by its code."""

__version__ = "0.1.0"
