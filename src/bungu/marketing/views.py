"""The staff pages of campaigns: write, preview, choose a segment and see its size, send now
or at a set time, pause, resume, cancel, and follow the progress. For staff whose role may
use customers' data for marketing e-mail (P13), like the back office's own pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bungu import privacy

from . import services
from .audiences import segment_size
from .exceptions import MarketingError
from .forms import CampaignForm, PreviewForm, ScheduleForm
from .models import Campaign, CampaignState, SkipReason

View = Callable[..., HttpResponse]
PURPOSE = privacy.Purpose.MARKETING_EMAIL


def _marketing_only(view: View) -> View:
    """Anonymous visitors go to the staff sign-in; a customer gets 404 (the shop does not
    tell customers where staff pages are); a member whose role holds no marketing purpose
    gets 403 with the reason."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not (user.is_active and user.is_staff) or not isinstance(user, AbstractBaseUser):
            raise Http404("No such page.")
        if not privacy.actor_may_act_for(user, PURPOSE):
            return render(request, "marketing/refused.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def staff_page(view: View) -> View:
    return never_cache(require_GET(_marketing_only(view)))


def staff_form(view: View) -> View:
    return never_cache(require_http_methods(["GET", "POST"])(_marketing_only(view)))


def staff_post(view: View) -> View:
    return never_cache(require_POST(_marketing_only(view)))


def _member(request: HttpRequest) -> AbstractBaseUser:
    user = request.user
    assert isinstance(user, AbstractBaseUser)  # noqa: S101 - _marketing_only let only members in
    return user


@staff_page
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = Campaign.objects.all()[:200]
    return render(request, "marketing/campaign_list.html", {"campaigns": campaigns})


@staff_form
def campaign_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = CampaignForm(request.POST)
        if form.is_valid():
            try:
                campaign = services.create_campaign(draft=form.draft())
            except MarketingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Campaign saved as a draft.")
                return redirect("marketing:campaign", campaign_id=campaign.pk)
        return render(request, "marketing/campaign_form.html", {"form": form}, status=400)
    return render(request, "marketing/campaign_form.html", {"form": CampaignForm()})


def _detail(
    request: HttpRequest,
    campaign: Campaign,
    *,
    edit_form: CampaignForm | None = None,
    schedule_form: ScheduleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    preview_form = PreviewForm(request.GET or None)
    sample = None
    if preview_form.is_valid():
        sample = preview_form.cleaned_data["sample"]
    elif request.GET:
        status = 400
    size_error = ""
    size = None
    preview = None
    sample_shown = None
    try:
        if campaign.state in {CampaignState.DRAFT, CampaignState.SCHEDULED}:
            size = segment_size(
                key=campaign.segment, argument=campaign.segment_argument, now=timezone.now()
            )
        preview, sample_shown = services.preview_campaign(
            campaign, sample=sample, actor=_member(request)
        )
    except MarketingError as error:
        size_error = str(error)
    if edit_form is None and campaign.is_editable:
        edit_form = CampaignForm(
            initial={name: getattr(campaign, name) for name in CampaignForm.field_order}
        )
    progress = services.campaign_progress(campaign) if campaign.has_recipients else None
    skipped = (
        [(SkipReason(reason).label, n) for reason, n in progress.skipped_by_reason.items()]
        if progress
        else []
    )
    return render(
        request,
        "marketing/campaign_detail.html",
        {
            "campaign": campaign,
            "size": size,
            "size_error": size_error,
            "preview": preview,
            "preview_form": preview_form,
            "sample_requested": sample,
            "sample_shown": sample_shown,
            "edit_form": edit_form,
            "schedule_form": schedule_form or ScheduleForm(),
            "progress": progress,
            "skipped": skipped,
        },
        status=status,
    )


@staff_page
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return _detail(request, get_object_or_404(Campaign, pk=campaign_id))


@staff_post
def campaign_edit(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    form = CampaignForm(request.POST)
    if form.is_valid():
        try:
            services.update_campaign(campaign_id=campaign.pk, draft=form.draft())
        except MarketingError as error:
            messages.error(request, str(error))
            return redirect("marketing:campaign", campaign_id=campaign.pk)
        messages.success(request, "Campaign saved.")
        return redirect("marketing:campaign", campaign_id=campaign.pk)
    return _detail(request, campaign, edit_form=form, status=400)


@staff_post
def campaign_schedule(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        return _detail(request, campaign, schedule_form=form, status=400)
    try:
        services.schedule_campaign(campaign_id=campaign.pk, send_at=form.cleaned_data["send_at"])
    except (MarketingError, ValueError) as error:
        messages.error(request, str(error))
        return _detail(request, campaign, schedule_form=form, status=400)
    messages.success(request, "Campaign scheduled.")
    return redirect("marketing:campaign", campaign_id=campaign.pk)


def _transition(action: Callable[..., Campaign], done: str) -> View:
    @staff_post
    def view(request: HttpRequest, campaign_id: int) -> HttpResponse:
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        try:
            action(campaign_id=campaign.pk)
        except MarketingError as error:
            messages.error(request, str(error))
            return _detail(request, campaign, status=400)
        messages.success(request, done)
        return redirect("marketing:campaign", campaign_id=campaign.pk)

    return view


campaign_send = _transition(services.start_campaign, "Sending has started.")
campaign_pause = _transition(services.pause_campaign, "Campaign paused.")
campaign_resume = _transition(services.resume_campaign, "Sending goes on.")
campaign_cancel = _transition(services.cancel_campaign, "Campaign cancelled.")
