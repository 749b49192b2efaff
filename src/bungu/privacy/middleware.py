"""The privacy app's middleware: Global Privacy Control, and asking about a new notice.

Both run after authentication and messages. Neither renders anything into a page: the page
cache serves anonymous catalogue pages to everyone, so per-visitor privacy state lives only
on the never-cached privacy pages and in flash messages (which bypass the cache).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode

from bungu import shared_cache
from bungu.privacy.datamap import versions
from bungu.privacy.notices import gpc, publishing

# How long a customer is left alone after being asked about a notice: a day.
ASKED_SECONDS = 24 * 3600


class GlobalPrivacyControlMiddleware:
    """P17: ``request.gpc`` says whether this browser opted out; a signed-in customer's
    signal is written to the consent ledger once, so ``may_use`` honours it from then on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        sent = gpc.signal_sent(request)
        request.gpc = sent  # type: ignore[attr-defined]  # read by any view that shares data
        user = getattr(request, "user", None)
        if sent and user is not None and user.is_authenticated:
            # Once on record it stays; the cache spares the ledger a look-up per request.
            key = f"privacy:gpc:{user.pk}"
            if shared_cache.get(key) is None:
                gpc.record_gpc_signal(subject=user.pk, page=request.path)
                shared_cache.set(key, True, ASKED_SECONDS)
        return self.get_response(request)


class NoticeConsentMiddleware:
    """P24, P25: on a signed-in customer's visit, once a day, ask them about a notice version
    that is less protective than the one their data was collected under, until they answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._should_ask(request):
            self._ask(request)
        return self.get_response(request)

    def _should_ask(self, request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if request.method != "GET" or user is None or not user.is_authenticated:
            return False
        if request.headers.get("HX-Request"):
            return False
        skipped = (reverse("privacy:consent"), reverse("admin:index"))
        return not request.path.startswith(skipped)

    def _ask(self, request: HttpRequest) -> None:
        # The cache, not the session: writing the session would cost a query on every
        # customer's first page of the day.
        customer = int(str(request.user.pk))
        key = f"privacy:asked:{customer}:{timezone.localdate().isoformat()}"
        # The shared cache down: not asked now (a page never fails for it); asked later.
        if not shared_cache.add(key, True, ASKED_SECONDS):
            return
        notice = publishing.notice_awaiting_answer(subject=customer)
        if notice is None:
            return
        link = reverse("privacy:consent") + "?" + urlencode({"from": request.get_full_path()})
        messages.info(
            request,
            format_html(
                "Our privacy notice changed (version {}), and it asks for your agreement about "
                'information you gave us earlier. <a href="{}">Read what changed and answer</a>.',
                notice.version,
                link,
            ),
        )


class ChangesByMiddleware:
    """P20: names the signed-in person as the author of the changes a request makes, so the
    prior versions the save hook keeps say who changed what (the customer, or staff in the
    back office or the admin)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        with versions.changes_by(user if user is not None and user.is_authenticated else None):
            return self.get_response(request)
