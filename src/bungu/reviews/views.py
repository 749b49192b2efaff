"""Review pages: thin views that check who is asking, call a service and render.

A review draft, a report form and the delete page belong to one customer: anybody else, and
every anonymous visitor, gets 404 and never learns whether the thing exists.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from bungu.accounts.services import sign_in_url
from bungu.catalog.models import Product

from . import services
from .forms import ReportForm, ReviewForm
from .models import ReportReason, Review


def _customer_id(request: HttpRequest) -> int:
    """The signed-in customer's id; 404 for anonymous visitors (owner URLs never say more)."""
    user = request.user
    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        raise Http404("No such page.")
    return int(user.pk)


def write(request: HttpRequest, slug: str) -> HttpResponse:
    customer_id = _customer_id(request)
    try:
        product = services.get_reviewable_product(slug=slug)
    except Product.DoesNotExist:
        raise Http404("No such product.") from None
    existing = services.find_review(author_id=customer_id, product_id=product.id)
    if request.method == "POST":
        form = ReviewForm(request.POST)
        if form.is_valid():
            draft = services.ReviewDraft(
                rating=form.cleaned_data["rating"], body=form.cleaned_data["body"]
            )
            try:
                services.write_review(author_id=customer_id, product_id=product.id, draft=draft)
            except services.ReviewError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    "Thank you. Your review will appear once our staff have read it; "
                    "you can follow it on your reviews page.",
                )
                return redirect(reverse("reviews:mine"))
    elif request.method in {"GET", "HEAD"}:
        initial = {"rating": existing.rating, "body": existing.body} if existing else {}
        form = ReviewForm(initial=initial)
    else:
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    context: dict[str, Any] = {"product": product, "form": form, "existing": existing}
    status = 400 if request.method == "POST" else 200
    return render(request, "reviews/write.html", context, status=status)


def mine(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        # P22: reviews need an account; the page says so instead of hiding the feature.
        return render(
            request, "reviews/signed_out.html", {"sign_in_url": sign_in_url(next_path=request.path)}
        )
    reviews = services.list_reviews_by(author_id=int(request.user.pk))
    return render(request, "reviews/mine.html", {"reviews": reviews})


def delete(request: HttpRequest, review_id: int) -> HttpResponse:
    customer_id = _customer_id(request)
    try:
        review = services.get_own_review(author_id=customer_id, review_id=review_id)
    except Review.DoesNotExist:
        raise Http404("No such review.") from None
    if request.method == "POST":
        services.delete_review(author_id=customer_id, review_id=review.id)
        messages.success(request, f"Your review of {review.product.name} is deleted.")
        return redirect(reverse("reviews:mine"))
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    return render(request, "reviews/delete.html", {"review": review})


def report(request: HttpRequest, review_id: int) -> HttpResponse:
    customer_id = _customer_id(request)
    try:
        review = services.get_reportable_review(review_id=review_id)
    except Review.DoesNotExist:
        raise Http404("No such review.") from None
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                services.report_review(
                    review_id=review.id,
                    reporter_id=customer_id,
                    reason=ReportReason(form.cleaned_data["reason"]),
                    details=form.cleaned_data["details"],
                )
            except services.ReviewError as error:
                messages.info(request, str(error))
            except Review.DoesNotExist:
                raise Http404("No such review.") from None
            else:
                messages.success(request, "Thank you: our staff will look at this review.")
            return redirect(review.product.get_absolute_url())
        status = 400
    elif request.method in {"GET", "HEAD"}:
        form = ReportForm()
    else:
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    context = {"review": review, "form": form, "author_name": services.public_name(review.author)}
    return render(request, "reviews/report.html", context, status=status)
