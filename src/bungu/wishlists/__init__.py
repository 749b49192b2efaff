"""Customers' wish lists: private by default, shared through a revocable link (P4, P22)."""
