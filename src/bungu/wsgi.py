"""WSGI entry point for gunicorn: `gunicorn bungu.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bungu.settings")

application = get_wsgi_application()
