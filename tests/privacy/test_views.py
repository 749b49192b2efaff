"""The public privacy pages (P24): the notice in force, earlier versions, comparisons."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from bungu.privacy.models import Notice
from tests.storefront.html_checks import page_problems

from .factories import AFFILIATE_RECOMMENDATIONS, V1_PRACTICES

pytestmark = pytest.mark.django_db


def _long(day: datetime.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


@pytest.fixture
def v2() -> Notice:
    """A version still to come: two months from today (a fixed date ran into the past)."""
    return Notice.objects.create(
        version=2,
        effective=timezone.localdate() + datetime.timedelta(days=60),
        text=(
            "## Version two\n\n"
            "Now with <script>alert('x')</script> and [a link](javascript:alert(1))."
        ),
        practices=V1_PRACTICES + AFFILIATE_RECOMMENDATIONS,
    )


def test_the_privacy_page_shows_the_notice_in_force(client: Client) -> None:
    response = client.get("/privacy/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Version 1,\n    in force from November 1, 2026." in html
    assert '<h2 id="your-card-and-the-security-of-your-information">' in html
    assert "<script" not in html  # readable without JavaScript, and none is sent


def test_p24_every_version_is_listed_and_a_coming_one_says_when(client: Client, v2: Notice) -> None:
    html = client.get("/privacy/").content.decode()
    assert (
        '<a href="/privacy/v1/">Version 1</a>, in force from November 1, 2026 '
        "(the version in force)" in html
    )
    assert f'<a href="/privacy/v2/">Version 2</a>, in force from {_long(v2.effective)}' in html

    coming = client.get("/privacy/v2/").content.decode()
    assert f"takes effect on {_long(v2.effective)}" in coming


def test_raw_html_and_script_links_in_a_notice_are_shown_as_text(
    client: Client, v2: Notice
) -> None:
    html = client.get("/privacy/v2/").content.decode()

    assert "Now with &lt;script&gt;alert('x')&lt;/script&gt; and <a>a link</a>." in html
    assert "<script" not in html
    assert "javascript:" not in html
    assert "<a>a link</a>" in html


def test_an_unknown_version_is_not_found(client: Client) -> None:
    assert client.get("/privacy/v9/").status_code == 404


def test_p25_the_comparison_shows_each_change_and_says_less_protective(
    client: Client, v2: Notice
) -> None:
    response = client.get("/privacy/compare/", {"old": "1", "new": "2"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "version 2 is less protective in 1 way." in html
    assert "<td><code>personalize.recommendations@affiliate</code></td>" in html
    assert "<td>new use</td>" in html
    assert "<td>your orders</td>" in html
    assert "<td>Yes</td>" in html
    # The order of the parameters does not matter: the older is always compared with the newer.
    assert client.get("/privacy/compare/", {"old": "2", "new": "1"}).content.decode() == html


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({}, 400, "Choose the older version to compare."),
        ({"old": "1"}, 400, "Choose the newer version to compare."),
        ({"old": "one", "new": "2"}, 400, "The older version must be a version number."),
        ({"old": "1", "new": "-2"}, 400, "The newer version must be a version number."),
        ({"old": "1", "new": "1"}, 400, "Choose two different versions."),
        ({"old": "1", "new": "7"}, 404, "There is no version 7 of the privacy notice."),
        (
            {"old": "1", "new": "99999999999999999999"},
            404,
            "There is no version 99999999999999999999",
        ),
    ],
)
def test_bad_comparison_requests_get_a_message_not_an_error(
    client: Client, v2: Notice, query: dict, status: int, message: str
) -> None:
    response = client.get("/privacy/compare/", query)

    assert response.status_code == status
    assert message in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/privacy/",
        "/privacy/v1/",
        "/privacy/v2/",
        "/privacy/compare/?old=1&new=2",
        "/privacy/compare/?old=1&new=x",
    ],
)
def test_every_privacy_page_passes_the_shop_s_accessibility_checks(
    client: Client, v2: Notice, url: str
) -> None:
    response = client.get(url)

    assert page_problems(response.content.decode()) == []
    assert "Content-Security-Policy" in response.headers
