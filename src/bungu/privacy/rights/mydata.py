"""P19: "My data", everything the data map finds about one customer, as they may read it.

The rows are found by the walk the account erasure and the transfer export take
(``datamap/walk.py``), so what the customer is shown is what deleting the account erases and
what a successor would receive: one query per model that holds personal data, however many
rows the customer has, one per kind of record their rows refer to, and one for the admin's
change log. Each row says where its data came from (the declaration's source)
and under which notice it was collected (P25): the version in force at the row's own
creation time where the model keeps one, otherwise the day the account was opened, which is
the earliest the shop could have collected it and so binds it to the oldest notice that may
apply.

Values keep their Python types (times as aware datetimes): the page shows them in the
customer's time zone and the shop's date format, and the JSON download writes them in
ISO 8601 (``DjangoJSONEncoder``). Each value also carries ``text``, how a person reads it: a
reference to another record reads as that record (``str()``), never as a bare id, and never
as another customer's record.

Secrets (the data map's credentials category: the password hash, confirmation keys, session
keys, two-factor secrets) are never shown or downloaded: the customer sees that one is set.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format

from bungu.privacy.datamap.collection import created_field, notice_at
from bungu.privacy.datamap.logs import log_registry
from bungu.privacy.datamap.registry import DataMap, Field, data_map, models_about_customers
from bungu.privacy.datamap.taxonomy import DataCategory, Purpose, describe_agent
from bungu.privacy.datamap.walk import Found, find_subject_rows
from bungu.privacy.models import AccessLogEntry, ConsentEvent, Notice
from bungu.privacy.notices.consent import Subject, subject_id
from bungu.privacy.sharing.disclosures import list_disclosures_for

FORMAT = "bungu-my-data/1"
SHOWN_IF_SET = "set"
SHOWN_IF_UNSET = "not set"

# Shown in their own sections, each with the reading the customer needs (and, for the
# disclosure register, only the entries the law lets us show).
_OWN_SECTIONS = {"privacy.ConsentEvent", "privacy.AccessLogEntry", "privacy.Disclosure"}
# Django admin's change log, shown as "changes made by shop staff" (found by content type).
_CHANGE_LOG = "admin.LogEntry"

Rows = list[dict[str, Any]]


def is_secret(item: Field) -> bool:
    return DataCategory.CREDENTIALS.covers(item.category)


def readable(value: Any) -> str:
    """A stored value as a person reads it: times in the customer's time zone and the shop's
    date format, lists and objects (a prior version's snapshot) as text, not as syntax."""
    if isinstance(value, datetime):
        shown = timezone.localtime(value) if timezone.is_aware(value) else value
        return date_format(shown, "DATETIME_FORMAT")
    if isinstance(value, date):
        return date_format(value, "DATE_FORMAT")
    if isinstance(value, dict):
        return "; ".join(f"{key}: {readable(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(readable(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _edit_url(datamap: DataMap, model_label: str) -> str | None:
    name = datamap.edit_url_name(model_label)
    if name is None:
        return None
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


# ---------------------------------------------------------------- the customer's records
@dataclass
class _Found:
    model_label: str
    model: type[models.Model]
    declared: list[Field]
    created: str | None
    rows: Rows


def _columns(datamap: DataMap, model: type[models.Model]) -> list[str]:
    """The declared fields of a model and the time its rows were created, if it keeps one."""
    columns = [item.field_name for item in datamap.for_model(model._meta.label)]
    created = created_field(model)
    return [*columns, created] if created and created not in columns else columns


def _section_rows(datamap: DataMap, walked: list[Found]) -> list[_Found]:
    """The customer's records shown by model, in label order; the ledgers and the change log
    have sections of their own."""
    return [
        _Found(
            item.model_label,
            item.model,
            datamap.for_model(item.model_label),
            created_field(item.model),
            item.rows,
        )
        for item in sorted(walked, key=lambda item: item.model_label)
        if item.model_label not in _OWN_SECTIONS and item.model_label != _CHANGE_LOG
    ]


@dataclass(frozen=True)
class _Reading:
    """How the references of one field read: the records found, by primary key."""

    target: type[models.Model]
    texts: dict[Any, str]
    # The target holds customers' records: one not found is someone else's, not a lost one.
    private: bool

    def text(self, value: Any) -> str:
        if value is None:
            return ""
        if value in self.texts:
            return self.texts[value]
        name = self.target._meta.verbose_name
        return f"a {name} that is not yours" if self.private else f"a {name} no longer kept"


def _references(
    found: list[_Found], *, user_model: type[models.Model]
) -> dict[tuple[str, str], _Reading]:
    """How each reference to another record reads, by (model label, field): one query per
    kind of record referred to. A record about customers reads as itself only when it is one
    of this customer's (a report on someone else's review names no one)."""
    own: dict[type[models.Model], set[Any]] = defaultdict(set)
    for item in found:
        own[item.model].update(row["pk"] for row in item.rows)
    about_customers = set(models_about_customers(apps.get_models(), user_model=user_model))
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    fields: list[tuple[str, str, type[models.Model]]] = []
    for item in found:
        for declared in item.declared:
            field = item.model._meta.get_field(declared.field_name)
            target = field.related_model
            if not (field.many_to_one or field.one_to_one) or not isinstance(target, type):
                continue
            ids = {row[declared.field_name] for row in item.rows} - {None}
            if target in about_customers:
                ids &= own[target]
            wanted[target] |= ids
            fields.append((item.model_label, declared.field_name, target))
    described: dict[type[models.Model], dict[Any, str]] = {}
    for target, ids in wanted.items():
        # select_related(): a record's str() may read its parents (a SKU names its product).
        records = target._base_manager.select_related().in_bulk(ids) if ids else {}
        described[target] = {pk: str(record) for pk, record in records.items()}
    return {
        (model_label, name): _Reading(target, described[target], target in about_customers)
        for model_label, name, target in fields
    }


def _value(
    item: Field,
    raw: Any,
    *,
    field: Any,
    readings: dict[tuple[str, str], _Reading],
) -> dict[str, Any]:
    reading = readings.get((item.model_label, item.field_name))
    if is_secret(item):
        shown: Any = SHOWN_IF_SET if raw not in (None, "") else SHOWN_IF_UNSET
        text = shown
    elif reading is not None:
        shown = raw
        text = reading.text(raw)
    else:
        shown = raw
        choices = dict(field.flatchoices) if getattr(field, "choices", None) else {}
        known = isinstance(raw, str | int) and raw in choices
        text = str(choices[raw]) if known else readable(raw)
    return {
        "field": item.field_name,
        "label": str(getattr(field, "verbose_name", item.field_name)),
        "value": shown,
        "text": text,
        "category": item.category.value,
        "category_label": item.category.label,
        "source": item.source.value,
        "source_label": item.source.label,
        "secret": is_secret(item),
    }


def _section(
    datamap: DataMap,
    found: _Found,
    *,
    joined: datetime | None,
    notices: list[Notice],
    readings: dict[tuple[str, str], _Reading],
) -> dict[str, Any]:
    model = found.model
    records = []
    for row in found.rows:
        collected = row.get(found.created) if found.created else None
        collected_by = found.created if collected else "account opened"
        collected = collected or joined
        values = [
            _value(
                item,
                row[item.field_name],
                field=model._meta.get_field(item.field_name),
                readings=readings,
            )
            for item in found.declared
        ]
        records.append(
            {
                "id": row["pk"],
                "collected_at": collected,
                "collected_dated_by": collected_by,
                "notice_version": notice_at(notices, collected),
                "values": values,
            }
        )
    return {
        "model": found.model_label,
        "app": model._meta.app_config.verbose_name if model._meta.app_config else "",
        "title": str(model._meta.verbose_name_plural),
        "edit_url": _edit_url(datamap, found.model_label),
        "records": records,
    }


# ---------------------------------------------------------------- the sections of their own
def _staff_changes(ids: list[Any]) -> list[dict[str, Any]]:
    """P19: changes shop staff made to the customer's account and records in the admin: when,
    by whom (a staff number, as in the access log), to what and how; never the text the admin
    wrote about the record, which may quote the customer's own data back at them."""
    if not ids:
        return []
    model = apps.get_model(_CHANGE_LOG)
    entries: Any = (
        model._base_manager.filter(pk__in=ids)
        .select_related("content_type")
        .order_by("-action_time", "-pk")
    )
    return [
        {
            "id": entry.pk,
            "at": entry.action_time,
            "who": f"staff:{entry.user_id}",
            "record": str(entry.content_type.name) if entry.content_type else "record",
            "change": _change_kind(entry),
            "details": entry.get_change_message(),
        }
        for entry in entries
    ]


def _change_kind(entry: Any) -> str:
    if entry.is_addition():
        return "added"
    if entry.is_deletion():
        return "deleted"
    return "changed"


def _purpose_label(value: str) -> str:
    try:
        return Purpose(value).label
    except ValueError:
        return value


def _consents(ids: list[Any]) -> list[dict[str, Any]]:
    events = ConsentEvent.objects.filter(pk__in=ids).select_related("notice")
    return [
        {
            "id": event.pk,
            "kind": event.kind,
            "notice_version": event.notice.version,
            "practice": event.practice or "the whole notice",
            "at": event.at,
            "method": event.get_method_display(),
            "page": event.page,
        }
        for event in events.order_by("at", "id")
    ]


def _who(entry: AccessLogEntry) -> str:
    """Staff by their label; an agent by its kind and company ("Delivery company Yamato")."""
    kind, _, function = entry.actor_label.partition(":")
    return describe_agent(function, entry.agent_company) if kind == "agent" else entry.actor_label


def _what(labels: list[str]) -> list[str]:
    """The fields in the customer's words ("your name", "your postal address"), once each."""
    said: dict[str, None] = {}
    for label in labels:
        declared = data_map.find(label)
        said[DataCategory(declared.category).label if declared else label] = None
    return list(said)


def _access_log(ids: list[Any]) -> list[dict[str, Any]]:
    """P13: who reached the customer's data, when and why (refusals included)."""
    return [
        {
            "id": entry.pk,
            "who": _who(entry),
            "at": entry.at,
            "purpose": entry.purpose,
            "why": _purpose_label(entry.purpose),
            "regarding": entry.regarding,
            "fields": entry.fields,
            "what": _what(entry.fields),
            "granted": entry.granted,
        }
        for entry in AccessLogEntry.objects.filter(pk__in=ids).order_by("-at", "-id")
    ]


def _disclosures(owner: int, ids: list[Any]) -> list[dict[str, Any]]:
    """P16: the approved releases the law lets the customer be told about; the walk finds
    the others too (they are erased with the account), but they are not shown."""
    found = set(ids)
    return [
        {
            "id": item.pk,
            "legal_basis": item.get_legal_basis_display(),
            "legal_basis_other": item.legal_basis_other,
            "requester": item.requester,
            "data_released": item.data_released,
            "released_at": item.released_at,
        }
        for item in list_disclosures_for(subject=owner)
        if item.pk in found
    ]


def build_my_data(*, subject: Subject, datamap: DataMap | None = None) -> dict[str, Any]:
    """Everything the data map finds about one customer (P19, P20, P13, P16): their records
    by model, changes staff made to them, consents, the access log and the disclosures they
    may see; JSON-ready with ``DjangoJSONEncoder``. Raises LookupError if there is no such
    customer."""
    datamap = datamap or data_map
    owner = subject_id(subject)
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    user = user_model._default_manager.filter(pk=owner).values("pk", "date_joined").first()
    if user is None:
        raise LookupError(f"no customer #{owner}")
    joined: datetime | None = user["date_joined"]
    notices = list(Notice.objects.order_by("-version"))
    walked = find_subject_rows(
        datamap,
        owner=owner,
        columns=lambda model: _columns(datamap, model),
        user_model=user_model,
    )
    pks = {item.model_label: item.pks for item in walked}
    found = _section_rows(datamap, walked)
    readings = _references(found, user_model=user_model)
    return {
        "format": FORMAT,
        "shop": settings.BUNGU_SHOP_NAME,
        "customer": owner,
        "generated_at": timezone.now(),
        "about_notice_versions": (
            "Each record names the version of the privacy notice in force when it was "
            "collected: dated by the record's own creation time where it keeps one, "
            "otherwise by the day the account was opened."
        ),
        "notices": [{"version": n.version, "effective": n.effective} for n in notices],
        "records": [
            _section(datamap, item, joined=joined, notices=notices, readings=readings)
            for item in found
        ],
        "staff_changes": _staff_changes(pks.get(_CHANGE_LOG, [])),
        "consents": _consents(pks.get("privacy.ConsentEvent", [])),
        "access_log": _access_log(pks.get("privacy.AccessLogEntry", [])),
        "disclosures": _disclosures(owner, pks.get("privacy.Disclosure", [])),
        # P5: what the servers' logs hold of every visit, and for how long.
        "server_logs": [
            {"name": log.name, "holds": log.holds, "kept_days": log.retention_days}
            for log in log_registry
        ],
    }
