"""P15: everything a successor needs to keep the promises, should the business change hands.

The export is found through the data map, so a field no app declared cannot be in it and a
declared one cannot be missed: every model holding personal data is read, its rows grouped
by the customer they are about, by the walk "My data" and the erasure take
(``datamap/walk.py``): a guardian link under both people; an entry of the admin change log
under the customer whose record it names, with that record's type and id. Beside the data go every
notice version (its text and practices) and every customer's consents, because the data
stays bound by the notice it was collected under and by what each customer agreed to since.

Password hashes are left out: a successor has no need of them, and a file of them is a gift
to whoever finds it. Customers set a new password with the usual reset link.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone

from bungu.privacy.datamap.registry import DataMap, data_map
from bungu.privacy.datamap.taxonomy import DataCategory
from bungu.privacy.datamap.walk import find_all_subject_rows, linked_model
from bungu.privacy.models import ConsentEvent, Disclosure, Notice
from bungu.privacy.notices.practices import Practice

FORMAT = "bungu-transfer-export/1"
_CHUNK = 2000


def _exported_fields(datamap: DataMap, model_label: str) -> list[str]:
    return [
        item.field_name
        for item in datamap.for_model(model_label)
        if not DataCategory.CREDENTIALS.covers(item.category)
    ]


def _practice(practice: Practice) -> dict[str, Any]:
    return {
        "key": practice.key,
        "data": [category.value for category in practice.data],
        "purpose": practice.purpose.value,
        "recipient": practice.recipient,
        "choice": practice.choice.value,
        "retention_days": practice.retention_days,
        "identity_withheld": practice.identity_withheld,
        "open_tracking": practice.open_tracking,
        "list_comparison": practice.list_comparison,
        "enrichment": practice.enrichment,
        "summary": practice.summary,
    }


def _notices() -> list[dict[str, Any]]:
    return [
        {
            "version": notice.version,
            "effective": notice.effective.isoformat(),
            "text": notice.text,
            "practices_toml": notice.practices,
            "practices": [_practice(p) for p in notice.practice_set.practices],
        }
        for notice in Notice.objects.order_by("version")
    ]


def _consents() -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    events = ConsentEvent.objects.select_related("notice").order_by("subject_id", "at", "id")
    for event in events.iterator(chunk_size=_CHUNK):
        found[event.subject_id].append(
            {
                "kind": event.kind,
                "notice_version": event.notice.version,
                "practice": event.practice,
                "at": event.at.isoformat(),
                "method": event.method,
                "page": event.page,
            }
        )
    return found


def _disclosures() -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for item in Disclosure.objects.approved().order_by("subject_id", "released_at", "id"):
        found[item.subject_id].append(
            {
                "legal_basis": item.legal_basis,
                "legal_basis_other": item.legal_basis_other,
                "requester": item.requester,
                "data_released": item.data_released,
                "released_at": item.released_at.isoformat() if item.released_at else None,
                "visible_to_customer": item.visible_to_customer,
            }
        )
    return found


def build_transfer_export(*, datamap: DataMap | None = None) -> dict[str, Any]:
    """Every customer's personal data (as the data map finds it), their consents and the
    approved disclosures about them, with every notice version, as one JSON-ready document."""
    datamap = datamap or data_map
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    generic = datamap.generic_links()

    def columns(model: type[models.Model]) -> list[str]:
        names = _exported_fields(datamap, model._meta.label)
        link = generic.get(model._meta.label)
        # A row linked to any record by content type (the admin's change log) names it, so
        # the successor can relate it.
        if link is not None:
            names += [
                f"{link.content_type}__app_label",
                f"{link.content_type}__model",
                link.object_id,
            ]
        return names

    # The walk "My data" and the erasure take, for every customer at once: a row about two
    # customers (a guardian link) is listed under each of them.
    walked, unclaimed = find_all_subject_rows(datamap, columns=columns)
    customers = {
        owner: {item.model_label: item.rows for item in found} for owner, found in walked.items()
    }
    unlinked: dict[str, list[dict[str, Any]]] = {item.model_label: item.rows for item in unclaimed}
    for model_label in datamap.model_labels():
        model = apps.get_model(model_label)
        if model_label in generic or linked_model(datamap, model, user_model=user_model):
            continue
        # Personal data not tied to an account (a list from another company, say).
        unlinked[model_label] = list(
            model._default_manager.order_by("pk").values("pk", *columns(model))
        )
    consents, disclosures = _consents(), _disclosures()
    ids = sorted(set(user_model._default_manager.values_list("pk", flat=True)) | set(customers))
    return {
        "format": FORMAT,
        "shop": settings.BUNGU_SHOP_NAME,
        "exported_at": timezone.now().isoformat(),
        "note": (
            "Each customer's information stays bound by the notice in force when it was "
            "collected and by the consents listed with it (P15, P25)."
        ),
        "notices": _notices(),
        "data_map": [
            {
                "field": item.label,
                "category": item.category.value,
                "source": item.source.value,
                "purposes": sorted(p.value for p in item.purposes),
                "retention_days": item.retention_days,
                "erase": item.erase.value,
                "exported": not DataCategory.CREDENTIALS.covers(item.category),
            }
            for item in datamap
        ],
        "customers": [
            {
                "id": customer,
                "records": dict(customers.get(customer, {})),
                "consents": consents.get(customer, []),
                "disclosures": disclosures.get(customer, []),
            }
            for customer in ids
        ],
        "records_without_account": unlinked,
    }
