"""P20: the keeper of prior versions, called by ``privacy.KeepsPriorVersions`` before a save
changes a customer's given data, whoever saves it (a page, the back office, the admin,
allauth's e-mail change). Other apps name it in their ``PRIOR_VERSIONS`` by dotted path."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from bungu.privacy import data_map, versioned_fields

from .models import Address, PriorVersion, Profile, User
from .services import address_snapshot, profile_snapshot


def _customer_id(row: models.Model) -> int | None:
    """The customer a row is about, by the data map's first link to the user model."""
    paths = data_map.subject_paths(type(row))
    if not paths:
        return None
    if not paths[0]:
        return int(row.pk)
    target: Any = row
    *through, last = paths[0].split("__")
    for name in through:
        target = getattr(target, name, None)
    return None if target is None else getattr(target, f"{last}_id", None)


def _snapshot(row: models.Model) -> dict[str, Any]:
    values = {
        name: row._meta.get_field(name).value_from_object(row)  # type: ignore[union-attr]
        for name in versioned_fields(row._meta.label)
    }
    return dict(json.loads(json.dumps(values, cls=DjangoJSONEncoder)))


def keep_prior_version(*, stored: models.Model, actor: Any) -> None:
    """Keep a copy of ``stored`` (the row before the change) for its customer."""
    changed_by = actor if isinstance(actor, User) else None
    kind, object_id = PriorVersion.Kind.RECORD, stored.pk
    if isinstance(stored, Profile):
        kind, object_id, snapshot = PriorVersion.Kind.PROFILE, None, profile_snapshot(stored)
    elif isinstance(stored, Address):
        kind, snapshot = PriorVersion.Kind.ADDRESS, address_snapshot(stored)
    elif isinstance(stored, User):
        kind, object_id = PriorVersion.Kind.ACCOUNT, None
        snapshot = {"email": stored.email, "name": stored.name}
    else:
        snapshot = _snapshot(stored)
    customer_id = _customer_id(stored)
    if customer_id is None:
        return
    PriorVersion.objects.create(
        customer_id=customer_id,
        kind=kind,
        record=stored._meta.label,
        object_id=object_id,
        change=PriorVersion.Change.CHANGED,
        snapshot=snapshot,
        changed_by=changed_by,
    )
