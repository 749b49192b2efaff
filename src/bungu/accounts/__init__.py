"""Customers and staff: one user model, signed in by e-mail address."""
