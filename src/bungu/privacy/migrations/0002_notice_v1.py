"""Publish the shop's first privacy notice (texts in bungu/privacy/notices/)."""

import datetime
from pathlib import Path

from django.db import migrations

from bungu.privacy.notices.practices import parse_practices

NOTICES = Path(__file__).resolve().parent.parent / "notices"
EFFECTIVE = datetime.date(2026, 11, 1)


def publish_v1(apps, schema_editor):
    Notice = apps.get_model("privacy", "Notice")
    practices = (NOTICES / "v1.toml").read_text(encoding="utf-8")
    parse_practices(practices)  # refuse to publish practices that do not validate
    Notice.objects.get_or_create(
        version=1,
        defaults={
            "effective": EFFECTIVE,
            "text": (NOTICES / "v1.md").read_text(encoding="utf-8"),
            "practices": practices,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(publish_v1, migrations.RunPython.noop)]
