"""The agents' API under the project's ``api/v1/`` (django-ninja builds the patterns).

django-ninja answers a method a path lacks with a plain-text 405; an agent gets JSON like
every other refusal of the API instead."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern

from bungu.api.api import api


def _json_refusal(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)  # keeps csrf_exempt: a bearer token, not a cookie, authorises
    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
            allowed = response.get("Allow", "")
            refusal = JsonResponse({"detail": f"This address takes {allowed} only."}, status=405)
            refusal["Allow"] = allowed
            return refusal
        return response

    return answer


app_name = api.urls_namespace
urlpatterns = api.urls[0]
for _pattern in urlpatterns:
    if isinstance(_pattern, URLPattern):
        _pattern.callback = _json_refusal(_pattern.callback)
