"""P14: the partner's own pages, reached by its signed link: the report (page and CSV) and
the form that sends back redeemed codes. Counts only; nothing here can name, address or
number a customer. Every answer is private to the link (never cached, never indexed) and a
bad link, a bad list or a wrong method gets a page that says why, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .exceptions import BadPartnerLink, BadUpload
from .partner_access import link_expiry, partner_for_token
from .partner_models import Partner
from .partner_report import minimum_count, partner_report, report_csv
from .redemptions import MAX_LINES, MAX_UPLOAD_BYTES, record_redemptions

PartnerView = Callable[[HttpRequest, Partner, str], HttpResponse]
ROBOTS = "noindex, nofollow"


class RedemptionForm(forms.Form):
    codes_file = forms.FileField(
        label="A text file of redeemed codes",
        required=False,
        help_text=f"One code a line, at most {MAX_LINES:,} codes.",
    )
    codes_text = forms.CharField(
        label="Or paste the codes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        max_length=MAX_UPLOAD_BYTES,
    )

    def data_bytes(self) -> bytes:
        """The list sent, file or pasted. Raises BadUpload when there is none, or both."""
        upload = self.cleaned_data.get("codes_file")
        text = self.cleaned_data.get("codes_text") or ""
        if upload is not None and text.strip():
            raise BadUpload("Send a file or paste the codes, not both.")
        if upload is not None:
            if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
                raise BadUpload(
                    f"The list is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB: send it in "
                    f"parts of at most {MAX_LINES:,} codes."
                )
            return bytes(upload.read(MAX_UPLOAD_BYTES + 1))
        if not text.strip():
            raise BadUpload("The list holds no codes: send one code a line.")
        return text.encode("utf-8")


def _private(response: HttpResponse) -> HttpResponse:
    # The shop's Referrer-Policy (strict-origin-when-cross-origin) never sends the link's
    # path to another site; the pages' layout asks for no referrer at all.
    response["X-Robots-Tag"] = ROBOTS
    return response


def _refused(request: HttpRequest, reason: str, *, status: int) -> HttpResponse:
    return _private(
        render(request, "marketing/partner/refused.html", {"reason": reason}, status=status)
    )


def partner_page(view: PartnerView) -> Callable[..., HttpResponse]:
    """Let in the partner the link names; refuse a bad link with the reason (403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, token: str, **kwargs: Any) -> HttpResponse:
        try:
            partner = partner_for_token(token)
        except BadPartnerLink as error:
            return _refused(request, str(error), status=403)
        return _private(view(request, partner, token))

    return never_cache(wrapper)


def _report(
    request: HttpRequest,
    partner: Partner,
    token: str,
    *,
    form: RedemptionForm | None = None,
    result: object = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "marketing/partner/report.html",
        {
            "partner": partner,
            "token": token,
            "rows": partner_report(partner),
            "minimum": minimum_count(),
            "expires": link_expiry(token),
            "form": form or RedemptionForm(),
            "result": result,
            "error": error,
        },
        status=status,
    )


@require_GET
@partner_page
def report(request: HttpRequest, partner: Partner, token: str) -> HttpResponse:
    return _report(request, partner, token)


@require_GET
@partner_page
def report_download(request: HttpRequest, partner: Partner, token: str) -> HttpResponse:
    response = HttpResponse(
        report_csv(partner_report(partner)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="offer-report.csv"'
    return response


@require_POST
@partner_page
def redemptions(request: HttpRequest, partner: Partner, token: str) -> HttpResponse:
    form = RedemptionForm(request.POST, request.FILES)
    if not form.is_valid():
        return _report(request, partner, token, form=form, status=400)
    try:
        result = record_redemptions(partner=partner, data=form.data_bytes())
    except BadUpload as error:
        return _report(request, partner, token, form=form, error=str(error), status=400)
    return _report(request, partner, token, result=result)
