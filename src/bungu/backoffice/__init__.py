"""Staff pages beyond the Django admin: customers' data, reached only for a purpose (P13)."""
