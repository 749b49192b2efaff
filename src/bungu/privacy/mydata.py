"""P19: "My data", everything the data map finds about one customer, as they may read it.

The walk is the transfer export's (``transfer.personal_models``), narrowed to one customer:
one query per model that holds personal data, however many rows the customer has. Each row
says where its data came from (the declaration's source) and under which notice it was
collected (P25): the version in force at the row's own creation time where the model keeps
one, otherwise the day the account was opened, which is the earliest the shop could have
collected it and so binds it to the oldest notice that may apply.

Secrets (the data map's credentials category: the password hash, confirmation keys, session
keys, two-factor secrets) are never shown or downloaded: the customer sees that one is set.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from .collection import created_field, notice_at
from .consent import Subject, subject_id
from .datamap import DataMap, Field, data_map
from .disclosures import list_disclosures_for
from .models import AccessLogEntry, ConsentEvent, Notice
from .taxonomy import DataCategory, Purpose
from .transfer import personal_models

FORMAT = "bungu-my-data/1"
SHOWN_IF_SET = "set"
SHOWN_IF_UNSET = "not set"

# Shown in their own sections, each with the reading the customer needs (and, for the
# disclosure register, only the entries the law lets us show).
_OWN_SECTIONS = {"privacy.ConsentEvent", "privacy.AccessLogEntry", "privacy.Disclosure"}


def is_secret(item: Field) -> bool:
    return DataCategory.CREDENTIALS.covers(item.category)


def _plain(value: Any) -> Any:
    """A value as JSON carries it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _edit_url(datamap: DataMap, model_label: str) -> str | None:
    name = datamap.edit_url_name(model_label)
    if name is None:
        return None
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _section(
    *,
    datamap: DataMap,
    model_label: str,
    model: type[models.Model],
    path: str,
    owner: int,
    joined: datetime | None,
    notices: list[Notice],
) -> dict[str, Any] | None:
    declared = datamap.for_model(model_label)
    created = created_field(model)
    columns = ["pk", *(item.field_name for item in declared)]
    if created and created not in columns:
        columns.append(created)
    lookup = {path or "pk": owner}
    rows = list(model._default_manager.filter(**lookup).order_by("pk").values(*columns))
    if not rows:
        return None
    records = []
    for row in rows:
        collected = row.get(created) if created else None
        collected_by = created if collected else "account opened"
        collected = collected or joined
        values = []
        for item in declared:
            raw = row[item.field_name]
            if is_secret(item):
                shown: Any = SHOWN_IF_SET if raw not in (None, "") else SHOWN_IF_UNSET
            else:
                shown = _plain(raw)
            field = model._meta.get_field(item.field_name)
            values.append(
                {
                    "field": item.field_name,
                    "label": str(getattr(field, "verbose_name", item.field_name)),
                    "value": shown,
                    "category": item.category.value,
                    "category_label": item.category.label,
                    "source": item.source.value,
                    "source_label": item.source.label,
                    "secret": is_secret(item),
                }
            )
        records.append(
            {
                "id": row["pk"],
                "collected_at": _plain(collected),
                "collected_dated_by": collected_by,
                "notice_version": notice_at(notices, collected),
                "values": values,
            }
        )
    return {
        "model": model_label,
        "app": model._meta.app_config.verbose_name if model._meta.app_config else "",
        "title": str(model._meta.verbose_name_plural),
        "edit_url": _edit_url(datamap, model_label),
        "records": records,
    }


def _purpose_label(value: str) -> str:
    try:
        return Purpose(value).label
    except ValueError:
        return value


def _consents(owner: int) -> list[dict[str, Any]]:
    events = ConsentEvent.objects.filter(subject_id=owner).select_related("notice")
    return [
        {
            "kind": event.kind,
            "notice_version": event.notice.version,
            "practice": event.practice or "the whole notice",
            "at": event.at.isoformat(),
            "method": event.get_method_display(),
            "page": event.page,
        }
        for event in events.order_by("at", "id")
    ]


def _access_log(owner: int) -> list[dict[str, Any]]:
    """P13: who reached the customer's data, when and why (refusals included)."""
    return [
        {
            "who": entry.actor_label,
            "at": entry.at.isoformat(),
            "purpose": entry.purpose,
            "why": _purpose_label(entry.purpose),
            "fields": entry.fields,
            "granted": entry.granted,
        }
        for entry in AccessLogEntry.objects.filter(subject_id=owner).order_by("-at", "-id")
    ]


def _disclosures(owner: int) -> list[dict[str, Any]]:
    return [
        {
            "legal_basis": item.get_legal_basis_display(),
            "legal_basis_other": item.legal_basis_other,
            "requester": item.requester,
            "data_released": item.data_released,
            "released_at": _plain(item.released_at),
        }
        for item in list_disclosures_for(subject=owner)
    ]


def build_my_data(*, subject: Subject, datamap: DataMap | None = None) -> dict[str, Any]:
    """Everything the data map finds about one customer, JSON-ready (P19, P20, P13, P16):
    their records by model, consents, the access log and the disclosures they may see.
    Raises LookupError if there is no such customer."""
    datamap = datamap or data_map
    owner = subject_id(subject)
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    user = user_model._default_manager.filter(pk=owner).values("pk", "date_joined").first()
    if user is None:
        raise LookupError(f"no customer #{owner}")
    joined: datetime | None = user["date_joined"]
    notices = list(Notice.objects.order_by("-version"))
    sections = []
    for model_label, model, path in personal_models(datamap, user_model=user_model):
        if model_label in _OWN_SECTIONS or path is None:
            continue
        section = _section(
            datamap=datamap,
            model_label=model_label,
            model=model,
            path=path,
            owner=owner,
            joined=joined,
            notices=notices,
        )
        if section is not None:
            sections.append(section)
    return {
        "format": FORMAT,
        "shop": settings.BUNGU_SHOP_NAME,
        "customer": owner,
        "generated_at": timezone.now().isoformat(),
        "about_notice_versions": (
            "Each record names the version of the privacy notice in force when it was "
            "collected: dated by the record's own creation time where it keeps one, "
            "otherwise by the day the account was opened."
        ),
        "notices": [{"version": n.version, "effective": n.effective.isoformat()} for n in notices],
        "records": sections,
        "consents": _consents(owner),
        "access_log": _access_log(owner),
        "disclosures": _disclosures(owner),
    }
