"""The agents' HTTP API (P13): outside services reach exactly what their function needs."""
