"""Customers' reviews of products: written, moderated by staff, reported, summarised (P4, P22)."""
