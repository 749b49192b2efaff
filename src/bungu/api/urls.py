"""The agents' API under the project's ``api/v1/`` (django-ninja builds the patterns)."""

from bungu.api.api import api

app_name = api.urls_namespace
urlpatterns = api.urls[0]
