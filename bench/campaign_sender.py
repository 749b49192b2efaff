"""Run under the shop's settings by ``campaign.py``, in two phases. ``prepare``: generate N
customers (bulk inserts, no password hashing: an unusable password) and start a campaign to
them. ``send``: one sending worker, the real one (``send_due_campaigns``), to the SMTP server
named by BUNGU_SMTP_HOST/PORT; several may run at once, as on a live shop. Each phase writes
one JSON document to ``--out``; ``send``'s has its tally, seconds, CPU seconds and the peak
memory (ru_maxrss) of its process."""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bungu.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bungu.marketing.lifecycle import begin_campaign  # noqa: E402
from bungu.marketing.models import Campaign  # noqa: E402
from bungu.marketing.runner import send_due_campaigns  # noqa: E402


def _customers(count: int) -> float:
    started = time.monotonic()
    user = get_user_model()
    password = make_password(None)  # unusable: no hashing per customer
    now = timezone.now()
    have = user.objects.filter(email__endswith="@campaign.bench").count()
    batch = [
        user(email=f"c{n}@campaign.bench", name=f"Customer {n}", password=password, date_joined=now)
        for n in range(have, count)
    ]
    user.objects.bulk_create(batch, batch_size=2000)
    return time.monotonic() - started


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _prepare(recipients: int) -> dict[str, object]:
    generated = _customers(recipients)
    campaign = Campaign.objects.create(
        name="bench",
        subject="New inks for {{ name }}",
        body="Dear {{ name }},\n\nThe autumn inks are in at {{ shop_name }}.",
        segment="never_ordered",
        rate_per_minute=600_000,
    )
    started = time.monotonic()
    with transaction.atomic():  # the recipients fixed, without queueing the worker's task
        begin_campaign(campaign_id=campaign.pk, now=timezone.now())
    return {
        "campaign": campaign.pk,
        "generated_seconds": round(generated, 1),
        "start_seconds": round(time.monotonic() - started, 1),
    }


def _send(campaign_id: int) -> dict[str, object]:
    cpu_before, started = _cpu(), time.monotonic()
    tally = send_due_campaigns()
    seconds, cpu = time.monotonic() - started, _cpu() - cpu_before
    return {
        "campaign": campaign_id,
        "sent": tally.sent,
        "tally": str(tally),
        "seconds": seconds,
        "cpu_seconds": cpu,
        # Linux reports kilobytes.
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=["prepare", "send"])
    parser.add_argument("--recipients", type=int, default=0)
    parser.add_argument("--campaign", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    result = _prepare(args.recipients) if args.phase == "prepare" else _send(args.campaign)
    args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
