"""factory_boy factories and helpers for the privacy tests."""

from __future__ import annotations

import datetime
from pathlib import Path

import bungu.privacy

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
