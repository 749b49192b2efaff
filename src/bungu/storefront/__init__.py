"""The shop's face: layout, home page, and the templates and static files every page shares."""
