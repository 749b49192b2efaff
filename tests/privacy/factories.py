"""factory_boy factories and helpers for the privacy tests."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.db.models import Max
from django.utils import timezone

import bungu.privacy
from bungu.privacy.models import Notice

NOTICES = Path(bungu.privacy.__file__).resolve().parent / "notices"
V1_PRACTICES = (NOTICES / "v1.toml").read_text(encoding="utf-8")
# v2 (shipped, published by the owner): v1 and open confirmations of partner offers (P7, P14).
V2_PRACTICES = (NOTICES / "v2.toml").read_text(encoding="utf-8")

AFFILIATE_RECOMMENDATIONS = """
[[allow]]
data = ["user.behavior.purchase_history"]
purpose = "personalize.recommendations"
recipient = "affiliate"
choice = "opt-out"
[allow.affiliate_notice]
name = "Bungu Paper Co."
url = "https://paper.example/privacy"
[[allow.affiliate_notice.allow]]
data = ["user.behavior.purchase_history"]
purpose = "personalize.recommendations"
recipient = "shop"
choice = "opt-out"
"""
AFFILIATE_KEY = "personalize.recommendations@affiliate"


def at(year: int, month: int, day: int) -> datetime.datetime:
    return datetime.datetime(year, month, day, 12, tzinfo=datetime.UTC)


def scenario_notice(*, version: int, effective: datetime.date, text: str, practices: str) -> Notice:
    """A notice of the worked example (v1 in 2026, v2 from 2027 ...), its date fixed by the
    scenario, whatever today is: made with a date the model accepts (not in the past, not
    before an older version), then its date written directly, as history is. Made with
    its date as given, the scenario stopped working once its dates were in the past."""
    latest = Notice.objects.aggregate(latest=Max("effective"))["latest"]
    allowed = max(timezone.localdate(), latest) if latest else timezone.localdate()
    notice = Notice.objects.create(
        version=version, effective=allowed, text=text, practices=practices
    )
    Notice.objects.filter(pk=notice.pk).update(effective=effective)
    notice.refresh_from_db()
    return notice
