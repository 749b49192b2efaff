"""P14: the staff pages of partner offers, beside the campaigns and guarded like them (the
Marketing role): partners, their offers (each a campaign sent from the campaign page), the
partner's report as the partner sees it beside the exact counts, and the partner's links."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from . import partners
from .exceptions import MarketingError
from .partner_access import make_link_token
from .partner_forms import LinkForm, OfferForm, PartnerForm
from .partner_models import Partner, PartnerOffer
from .partner_report import minimum_count, offer_counts, partner_report
from .views import staff_form, staff_page, staff_post


@staff_form
def partner_list(request: HttpRequest) -> HttpResponse:
    form = PartnerForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            if Partner.objects.filter(name=form.cleaned_data["name"]).exists():
                form.add_error("name", "A partner of that name is on record already.")
            else:
                partner = partners.create_partner(draft=form.draft())
                messages.success(request, "Partner recorded.")
                return redirect("marketing:partner", partner_id=partner.pk)
        status = 400
    return render(
        request,
        "marketing/partner_list.html",
        {"partners": Partner.objects.all()[:500], "form": form},
        status=status,
    )


def _detail(
    request: HttpRequest,
    partner: Partner,
    *,
    offer_form: OfferForm | None = None,
    link_form: LinkForm | None = None,
    link: str = "",
    status: int = 200,
) -> HttpResponse:
    offers = list(PartnerOffer.objects.filter(partner=partner).select_related("campaign"))
    return render(
        request,
        "marketing/partner_detail.html",
        {
            "partner": partner,
            "counts": offer_counts(offers),
            "rows": partner_report(partner),
            "minimum": minimum_count(),
            "offer_form": offer_form or OfferForm(),
            "link_form": link_form or LinkForm(),
            "link": link,
        },
        status=status,
    )


@staff_page
def partner_detail(request: HttpRequest, partner_id: int) -> HttpResponse:
    return _detail(request, get_object_or_404(Partner, pk=partner_id))


@staff_post
def offer_new(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = get_object_or_404(Partner, pk=partner_id)
    form = OfferForm(request.POST)
    if form.is_valid():
        try:
            offer = partners.create_offer(partner_id=partner.pk, draft=form.draft())
        except MarketingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, "Offer saved; its campaign is a draft: preview it and send it here."
            )
            return redirect("marketing:campaign", campaign_id=offer.campaign_id)
    return _detail(request, partner, offer_form=form, status=400)


@staff_post
def partner_link(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = get_object_or_404(Partner, pk=partner_id)
    form = LinkForm(request.POST)
    if not form.is_valid():
        return _detail(request, partner, link_form=form, status=400)
    if not partner.active:
        messages.error(request, "A stopped partner's links are refused: start it again first.")
        return _detail(request, partner, link_form=form, status=400)
    token = make_link_token(partner, days=form.cleaned_data["days"])
    link = request.build_absolute_uri(reverse("partners:report", kwargs={"token": token}))
    return _detail(request, partner, link=link)


@staff_post
def partner_revoke(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = get_object_or_404(Partner, pk=partner_id)
    partners.revoke_partner_links(partner_id=partner.pk)
    messages.success(request, "Every link given to this partner so far stops working.")
    return redirect("marketing:partner", partner_id=partner.pk)


@staff_post
def partner_active(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = get_object_or_404(Partner, pk=partner_id)
    active = request.POST.get("active") == "1"
    partners.set_partner_active(partner_id=partner.pk, active=active)
    messages.success(request, "Partner started again." if active else "Partner stopped.")
    return redirect("marketing:partner", partner_id=partner.pk)
