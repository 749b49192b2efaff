"""Notice versions: validated on save, fixed once in force (P24, P25), v1 as published."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from bungu.privacy import NoticeInForce
from bungu.privacy.models import Notice

from .factories import AFFILIATE_RECOMMENDATIONS, NOTICES, V1_PRACTICES, at, scenario_notice

pytestmark = pytest.mark.django_db


def test_the_migration_publishes_v1_exactly_as_written() -> None:
    v1 = Notice.objects.get()

    assert (v1.version, v1.effective) == (1, datetime.date(2026, 11, 1))
    assert v1.text == (NOTICES / "v1.md").read_text(encoding="utf-8")
    assert v1.practices == V1_PRACTICES
    assert len(v1.practice_set.practices) == 33


def test_the_v1_text_speaks_to_every_promise_it_makes() -> None:
    text = Notice.objects.get(version=1).text

    for phrase in (
        "last four digits",  # P2
        "sign out",  # P3
        "cookies",  # P5, P10
        "opened our e-mails",  # P7
        "compare our customer list",  # P8
        "We never sell it",  # P12
        "never receives your name or address",  # P14
        "changes hands",  # P15
        "at least as",  # P18
        "previous\n  version",  # P20
        "under 18",  # P23
        "less protective without your consent",  # P25
        "State of California",  # P26
    ):
        assert phrase in text, phrase


def test_the_notice_in_force_is_the_newest_that_has_taken_effect() -> None:
    v2 = scenario_notice(
        version=2, effective=datetime.date(2027, 1, 1), text="v2", practices=V1_PRACTICES
    )

    assert Notice.objects.in_force(at(2026, 12, 31)).version == 1
    assert Notice.objects.in_force(at(2027, 1, 2)) == v2
    assert Notice.objects.in_force(at(2026, 10, 1)) is None


def test_invalid_practices_are_refused_on_save() -> None:
    with pytest.raises(ValidationError) as raised:
        Notice.objects.create(
            version=2, effective=datetime.date(2027, 1, 1), text="v2", practices="[[allow]]\n"
        )

    assert (
        "'data' must be a non-empty list of data categories"
        in raised.value.message_dict["practices"][0]
    )
    assert Notice.objects.count() == 1


def test_a_new_version_cannot_take_effect_in_the_past_or_before_an_older_one() -> None:
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match=r"cannot take effect in the past"):
        Notice.objects.create(version=2, effective=yesterday, text="v2", practices=V1_PRACTICES)
    # Dates ahead of today whenever the test runs (fixed years would run into the past).
    next_year = timezone.localdate() + datetime.timedelta(days=365)
    Notice.objects.create(version=3, effective=next_year, text="v3", practices=V1_PRACTICES)
    with pytest.raises(ValidationError, match=r"on or after every older one"):
        Notice.objects.create(
            version=2,
            effective=next_year + datetime.timedelta(days=1),
            text="v2",
            practices=V1_PRACTICES,
        )
    assert list(Notice.objects.values_list("version", flat=True)) == [1, 3]


def test_p25_a_notice_in_force_is_never_edited_or_deleted() -> None:
    v1 = Notice.objects.get(version=1)
    v1.practices = V1_PRACTICES + AFFILIATE_RECOMMENDATIONS

    with pytest.raises(NoticeInForce, match=r"publish a new version"):
        v1.save()
    with pytest.raises(NoticeInForce, match=r"cannot be deleted"):
        v1.delete()
    assert Notice.objects.get(version=1).practices == V1_PRACTICES


def test_a_coming_version_may_still_be_corrected() -> None:
    coming = timezone.localdate() + datetime.timedelta(days=60)
    v2 = Notice.objects.create(version=2, effective=coming, text="v2", practices=V1_PRACTICES)
    v2.text = "v2, corrected"
    v2.save()

    assert Notice.objects.get(version=2).text == "v2, corrected"
