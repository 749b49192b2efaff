"""P8: list comparison by private set intersection from the back office."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bungu.marketing import psi
from bungu.marketing.models import ComparisonAgreement, ComparisonExchange, Suppression
from bungu.marketing.suppressions import address_digest
from tests.accounts.factories import CustomerFactory
from tests.backoffice.factories import staff_member

pytestmark = pytest.mark.django_db

PAGE = "/backoffice/campaigns/comparisons/"


def _agreement(days: int = 90) -> ComparisonAgreement:
    return ComparisonAgreement.objects.create(
        partner="Kami Paper Co.", notice_version=1, expires_at=timezone.now() + timedelta(days=days)
    )


def _marketing(client: Client) -> Client:
    client.force_login(staff_member("Marketing"))
    return client


def _upload(client: Client, exchange: ComparisonExchange, content: bytes) -> Any:
    answer = SimpleUploadedFile("answer.psi", content, content_type="application/octet-stream")
    return client.post(reverse("marketing:psi_finish", args=[exchange.pk]), {"answer": answer})


def test_p8_staff_download_a_request_and_upload_the_partner_s_answer(client: Client) -> None:
    ours = CustomerFactory(email="aiko@example.com")
    CustomerFactory(email="ben@example.com")
    agreement = _agreement()
    _marketing(client)
    assert reverse("marketing:comparisons") == PAGE
    page = client.get(PAGE)
    assert page.status_code == 200
    assert b"Kami Paper Co." in page.content

    download = client.post(reverse("marketing:psi_request", args=[agreement.pk]))

    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download.content.startswith(psi.REQUEST_MAGIC)
    exchange = ComparisonExchange.objects.get()
    assert b"Read the answer" in client.get(PAGE).content
    out = io.BytesIO()
    psi.answer_request(
        request=io.BytesIO(download.content), addresses=["aiko@example.com", "x@y.z"], out=out
    )

    done = _upload(client, exchange, out.getvalue())

    assert done.status_code == 302
    assert Suppression.objects.get().address_digest == address_digest(ours.email)
    assert "1 of our customers matched" in client.get(PAGE).content.decode()
    again = _upload(client, exchange, out.getvalue())
    assert again.status_code == 400
    assert b"already finished" in again.content
    assert Suppression.objects.count() == 1


def test_bad_answers_get_a_400_with_the_reason_and_store_nothing(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    CustomerFactory(email="aiko@example.com")
    _marketing(client)
    download = client.post(reverse("marketing:psi_request", args=[_agreement().pk]))
    exchange = ComparisonExchange.objects.get()

    for content, reason in [
        (b"ab" * 32 + b"\n", b"This is not a PSI answer"),
        (download.content, b"This is a PSI request, not a PSI answer"),
        (psi.ANSWER_MAGIC + b"{}\n", b"lacks a valid"),
    ]:
        response = _upload(client, exchange, content)
        assert response.status_code == 400
        assert reason in response.content
    empty = client.post(reverse("marketing:psi_finish", args=[exchange.pk]))
    assert empty.status_code == 400
    assert b"This field is required" in empty.content
    monkeypatch.setattr(psi, "MAX_ANSWER_BYTES", 10)
    big = _upload(client, exchange, psi.ANSWER_MAGIC + b"{}\n" + b"x" * 100)
    assert big.status_code == 400
    assert b"larger than an answer can be" in big.content

    assert not Suppression.objects.exists()
    exchange.refresh_from_db()
    assert exchange.awaits_answer


def test_a_request_that_cannot_be_made_says_why(client: Client) -> None:
    _marketing(client)
    agreement = _agreement()
    agreement.expires_at = timezone.now() - timedelta(days=1)
    agreement.save()

    response = client.post(reverse("marketing:psi_request", args=[agreement.pk]))

    assert response.status_code == 400
    assert b"expired on" in response.content
    assert client.post(reverse("marketing:psi_request", args=[999])).status_code == 404
    assert not ComparisonExchange.objects.exists()


def test_only_marketing_staff_reach_the_comparison_pages(client: Client) -> None:
    CustomerFactory(email="aiko@example.com")
    agreement = _agreement()
    client.force_login(staff_member("Fulfilment"))
    assert client.get(PAGE).status_code == 403
    assert client.post(reverse("marketing:psi_request", args=[agreement.pk])).status_code == 403
    client.force_login(CustomerFactory())
    assert client.get(PAGE).status_code == 404
    assert not ComparisonExchange.objects.exists()
