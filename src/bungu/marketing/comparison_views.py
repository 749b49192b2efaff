"""P8: list comparison by private set intersection from the back office, beside the campaigns
and guarded like them (the Marketing role): download a request for an agreement in force,
upload the partner's answer. The agreements themselves are recorded in the admin."""

from __future__ import annotations

import io

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from . import psi
from .comparison import ComparisonRefused
from .forms import PsiAnswerForm
from .models import ComparisonAgreement, ComparisonExchange, ComparisonMethod
from .views import staff_page, staff_post


def _page(
    request: HttpRequest,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    agreements = list(ComparisonAgreement.objects.filter(expires_at__gt=now)[:100])
    exchanges = ComparisonExchange.objects.filter(agreement__in=agreements).select_related(
        "agreement"
    )[:200]
    return render(
        request,
        "marketing/comparison_list.html",
        {
            "agreements": agreements,
            "exchanges": exchanges,
            "error": error,
        },
        status=status,
    )


@staff_page
def comparison_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@staff_post
def psi_request(request: HttpRequest, agreement_id: int) -> HttpResponse:
    agreement = get_object_or_404(ComparisonAgreement, pk=agreement_id)
    out = io.BytesIO()
    try:
        exchange = psi.start_psi_exchange(agreement=agreement, out=out)
    except ComparisonRefused as refused:
        return _page(request, error=str(refused), status=400)
    response = HttpResponse(out.getvalue(), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="bungu-psi-request-{exchange.pk}.psi"'
    return response


@staff_post
def psi_finish(request: HttpRequest, exchange_id: int) -> HttpResponse:
    exchange = get_object_or_404(ComparisonExchange, pk=exchange_id, method=ComparisonMethod.PSI)
    form = PsiAnswerForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["answer"]
        try:
            if upload.size > psi.MAX_ANSWER_BYTES:
                raise ComparisonRefused(
                    f"The file is larger than an answer can be ({psi.MAX_ANSWER_BYTES:,} bytes)."
                )
            with upload.open("rb") as stream:
                _, result = psi.finish_psi_exchange(stream=stream, exchange_id=exchange.pk)
        except ComparisonRefused as refused:
            form.add_error("answer", str(refused))
        else:
            messages.success(request, f"{exchange}: {result}")
            return redirect("marketing:comparisons")
    reasons = "; ".join(str(reason) for reason in form.errors.get("answer", ["not readable"]))
    return _page(request, error=f"The answer for {exchange} was refused: {reasons}", status=400)
