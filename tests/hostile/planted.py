"""A URL configuration with planted holes: the shop's own patterns, plus one vulnerable view per
hostile-visitor suite. Each suite's positive control walks it and must find its hole."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template import engines
from django.urls import URLPattern, URLResolver, path
from django.views.decorators.csrf import csrf_exempt

from bungu.urls import urlpatterns as shop_patterns


@csrf_exempt
def planted_exempt_form(request: HttpRequest) -> HttpResponse:
    """A state-changing form someone marked csrf_exempt."""
    return HttpResponse("saved" if request.method == "POST" else "form")


def planted_open_redirect(request: HttpRequest) -> HttpResponse:
    """Sends the visitor wherever ``next`` says."""
    return HttpResponseRedirect(request.GET.get("next") or request.POST.get("next") or "/")


def planted_reflection(request: HttpRequest) -> HttpResponse:
    """Echoes the query string's ``q`` into the page without escaping it."""
    return HttpResponse(f"<html><body><p>You searched for {request.GET.get('q', '')}</p>")


_UNSAFE = engines["django"].from_string(
    "<!doctype html><html><body><main>{{ text|safe }}</main></body></html>"
)
# Set by the stored-XSS control: the text a visitor stored, shown to whoever opens the page.
STORED: dict[str, str] = {"text": ""}


def planted_unsafe_template(request: HttpRequest) -> HttpResponse:
    """Shows a stored text through ``|safe``."""
    return HttpResponse(_UNSAFE.render({"text": STORED["text"]}))


urlpatterns: list[URLPattern | URLResolver] = [
    path("planted/exempt/", planted_exempt_form, name="planted_exempt"),
    path("planted/redirect/", planted_open_redirect, name="planted_redirect"),
    path("planted/reflect/", planted_reflection, name="planted_reflect"),
    path("planted/unsafe/", planted_unsafe_template, name="planted_unsafe"),
    *shop_patterns,
]
