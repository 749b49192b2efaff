"""Run under the shop's settings by ``campaign.py``: generate N customers (one bulk insert,
no password hashing: an unusable password), start a campaign to them and send it with the
real sender to the SMTP server named by BUNGU_SMTP_HOST/PORT. Writes one JSON document to
``--out``: the tally, seconds, CPU seconds and peak memory of this process while sending."""

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
from bungu.marketing.models import Campaign, CampaignRecipient, RecipientState  # noqa: E402
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    generated = _customers(args.recipients)
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
    start_seconds = time.monotonic() - started
    cpu_before, started = _cpu(), time.monotonic()
    tally = send_due_campaigns()
    seconds, cpu = time.monotonic() - started, _cpu() - cpu_before
    sent = CampaignRecipient.objects.filter(campaign=campaign, state=RecipientState.SENT).count()
    result = {
        "recipients": args.recipients,
        "generated_seconds": round(generated, 1),
        "start_seconds": round(start_seconds, 1),
        "tally": str(tally),
        "sent": sent,
        "seconds": round(seconds, 2),
        "messages_per_second": round(sent / seconds, 1) if seconds else 0.0,
        "cpu_ms_per_message": round(cpu * 1000 / sent, 3) if sent else None,
        # Linux reports kilobytes.
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
