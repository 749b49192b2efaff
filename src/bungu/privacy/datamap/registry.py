"""The data map: every field that holds personal data, declared by the app that owns it.

Each app lists its declarations in ``<app>/personal_data.py``::

    PERSONAL = [Field("accounts.User.email", category=DataCategory.EMAIL, ...)]
    NOT_PERSONAL = ["accounts.User.is_staff"]
    RETENTION = {"accounts.PriorVersion": Clock("changed_at")}
    # Only where the first relation to a user does not say whom a row is about:
    SUBJECT_LINKS = {"accounts.GuardianLink": ("guardian", "supervised")}
    GENERIC_LINKS = {"admin.LogEntry": GenericLink()}
    # Only where erasing a model's rows must keep something of the app's true:
    ERASURE = {"reviews.Review": ErasedBy("bungu.reviews.services.erase_reviews")}

The modules are found when the app registry is ready (``PrivacyConfig.ready``), the way the
admin finds ``admin.py``. The system checks in ``checks.py`` hold every model that refers to a
customer to a complete map; the export, deletion and purpose-limited access all read it, so
nothing that is declared escapes them and nothing undeclared gets past the checks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import import_module
from types import ModuleType

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.utils.module_loading import module_has_submodule

from bungu.privacy.datamap.taxonomy import DataCategory, Purpose, Source

DECLARATIONS_MODULE = "personal_data"


class Erase(StrEnum):
    """What deleting an account does to a field."""

    DELETE = "delete"
    ANONYMISE = "anonymise"
    # Kept because a law requires it (order records for tax); anonymised where it can be.
    KEEP_FOR_LAW = "keep_for_law"


def split_label(label: str) -> tuple[str, str]:
    """``"accounts.User.email"`` -> (``"accounts.User"``, ``"email"``); ValueError if malformed."""
    parts = label.split(".")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"{label!r} is not of the form 'app_label.Model.field'")
    return f"{parts[0]}.{parts[1]}", parts[2]


@dataclass(frozen=True, init=False)
class Field:
    """One model field that holds personal data."""

    label: str
    category: DataCategory
    source: Source
    purposes: frozenset[Purpose]
    erase: Erase
    # P5: every field declares how long it is kept; None says "as long as the account exists".
    retention_days: int | None
    note: str = ""
    model_label: str = field(init=False)
    field_name: str = field(init=False)

    def __init__(
        self,
        label: str,
        *,
        category: DataCategory,
        source: Source,
        purposes: Iterable[Purpose],
        erase: Erase,
        retention_days: int | None,
        note: str = "",
    ) -> None:
        model_label, field_name = split_label(label)
        purposes = frozenset(purposes)
        if not purposes:
            raise ValueError(f"{label}: declare at least one purpose")
        if retention_days is not None and retention_days < 1:
            raise ValueError(f"{label}: retention_days must be a positive number of days")
        for name, value in (
            ("label", label),
            ("category", DataCategory(category)),
            ("source", Source(source)),
            ("purposes", purposes),
            ("erase", Erase(erase)),
            ("retention_days", retention_days),
            ("note", note),
            ("model_label", model_label),
            ("field_name", field_name),
        ):
            object.__setattr__(self, name, value)

    def serves(self, purpose: str) -> bool:
        return any(declared.covers(purpose) for declared in self.purposes)


@dataclass(frozen=True)
class Clock:
    """P5: a model's rows are as old as this date field says; a row whose age passes the
    retention its fields declare is erased by their rule (``privacy.retention``)."""

    field_name: str


@dataclass(frozen=True)
class PurgedBy:
    """P5: the owning app enforces the retention of this model itself, with the function at
    this dotted path (called with ``now=``), because its rule needs more than one clock."""

    function_path: str


Retention = Clock | PurgedBy


@dataclass(frozen=True)
class ErasedBy:
    """P22: the owning app erases this model's rows itself, with the function at this dotted
    path, because erasing them must keep something of its own true (a product's rating
    summary without the deleted reviews; a session's store entry ended with its row).

    The function is called with ``row_ids=`` (the rows the data map found about the customer,
    some perhaps gone already) inside the erasure's transaction, by the erasure and by every
    replay of its journal alike, and returns how many of those rows it erased. Only for a
    model whose personal fields are all erased by ``Erase.DELETE`` (``privacy.E005``)."""

    function_path: str


@dataclass(frozen=True)
class KeptBy:
    """The function (dotted path) that stores a prior version: called with ``stored=`` (the
    row as it is in the database) and ``actor=`` (who changes it, or None)."""

    function_path: str


@dataclass(frozen=True)
class NotVersioned:
    """Why people cannot change this model's personal fields in place (written once,
    append-only ...), so no prior version is needed."""

    reason: str


PriorVersions = KeptBy | NotVersioned


@dataclass(frozen=True)
class GenericLink:
    """A model whose rows point at any record by (content type, object id), as Django admin's
    change log does: a row is about a customer when the record it names is one of theirs."""

    content_type: str = "content_type"
    object_id: str = "object_id"


@dataclass
class DataMap:
    """The registry of declarations, with the look-ups the rest of the privacy app needs."""

    _personal: dict[str, Field] = field(default_factory=dict)
    _not_personal: dict[str, str] = field(default_factory=dict)  # label -> declaring module
    # P19 corrections: "accounts.Profile" -> "accounts:profile", the page that edits the model.
    # The owning app names its own page, so privacy links to it without knowing its URLs.
    _edit_urls: dict[str, str] = field(default_factory=dict)
    _retention: dict[str, Retention] = field(default_factory=dict)
    # P22, P19: models whose rows are about more than one customer ("accounts.GuardianLink":
    # ("guardian", "supervised")), and models linked to any record by content type.
    _subject_links: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _generic_links: dict[str, GenericLink] = field(default_factory=dict)
    # P22: models whose rows their own app erases ("reviews.Review": ErasedBy(...)).
    _erasure: dict[str, ErasedBy] = field(default_factory=dict)
    # P20: how each model keeps prior versions (datamap/versions.py: KeptBy or NotVersioned).
    _versions: dict[str, PriorVersions] = field(default_factory=dict)

    def declare(
        self, *, personal: Iterable[Field], not_personal: Iterable[str], origin: str
    ) -> None:
        """Add one module's declarations. A field declared twice is a configuration error."""
        for item in personal:
            self._refuse_duplicate(item.label, origin)
            self._personal[item.label] = item
        for label in not_personal:
            split_label(label)
            self._refuse_duplicate(label, origin)
            self._not_personal[label] = origin

    def _refuse_duplicate(self, label: str, origin: str) -> None:
        if label in self._personal or label in self._not_personal:
            raise ImproperlyConfigured(f"{label} is declared twice (again in {origin})")

    def declare_module(self, module: ModuleType) -> None:
        self.declare(
            personal=getattr(module, "PERSONAL", ()),
            not_personal=getattr(module, "NOT_PERSONAL", ()),
            origin=module.__name__,
        )
        for model_label, url_name in getattr(module, "EDIT_URL_NAMES", {}).items():
            self._edit_urls[model_label] = url_name
        self._retention.update(getattr(module, "RETENTION", {}))
        for model_label, paths in getattr(module, "SUBJECT_LINKS", {}).items():
            self._subject_links[model_label] = tuple(paths)
        self._generic_links.update(getattr(module, "GENERIC_LINKS", {}))
        self._erasure.update(getattr(module, "ERASURE", {}))
        self._versions.update(getattr(module, "PRIOR_VERSIONS", {}))

    def discover(self) -> None:
        """Read every installed app's ``personal_data`` module (again, from scratch)."""
        self._personal.clear()
        self._not_personal.clear()
        self._edit_urls.clear()
        self._retention.clear()
        self._subject_links.clear()
        self._generic_links.clear()
        self._erasure.clear()
        self._versions.clear()
        for app_config in apps.get_app_configs():
            if module_has_submodule(app_config.module, DECLARATIONS_MODULE):
                self.declare_module(import_module(f"{app_config.name}.{DECLARATIONS_MODULE}"))

    def copy(self) -> DataMap:
        return DataMap(
            dict(self._personal),
            dict(self._not_personal),
            dict(self._edit_urls),
            dict(self._retention),
            dict(self._subject_links),
            dict(self._generic_links),
            dict(self._erasure),
            dict(self._versions),
        )

    def forget(self, label: str) -> None:
        """Drop one declaration (tests plant gaps in a copy of the map with this)."""
        self._personal.pop(label, None)
        self._not_personal.pop(label, None)

    # ------------------------------------------------------------ look-ups
    def __iter__(self) -> Iterator[Field]:
        return iter(sorted(self._personal.values(), key=lambda item: item.label))

    def is_declared(self, label: str) -> bool:
        return label in self._personal or label in self._not_personal

    def declared_labels(self) -> list[str]:
        return sorted([*self._personal, *self._not_personal])

    def get(self, label: str) -> Field:
        """The declaration of a personal field; KeyError if it is not declared personal."""
        return self._personal[label]

    def find(self, label: str) -> Field | None:
        return self._personal.get(label)

    def for_model(self, model_label: str) -> list[Field]:
        return [item for item in self if item.model_label == model_label]

    def in_category(self, category: DataCategory) -> list[Field]:
        return [item for item in self if category.covers(item.category)]

    def serving(self, purpose: Purpose) -> list[Field]:
        return [item for item in self if item.serves(purpose)]

    def model_labels(self) -> list[str]:
        return sorted({item.model_label for item in self})

    def retention_of(self, model_label: str) -> Retention | None:
        """How the age of a model's rows is told (P5), if its app declared it."""
        return self._retention.get(model_label)

    def declare_retention(self, model_label: str, retention: Retention | None) -> None:
        """Set or drop (None) one model's retention declaration (tests plant gaps with it)."""
        if retention is None:
            self._retention.pop(model_label, None)
        else:
            self._retention[model_label] = retention

    def erased_by(self, model_label: str) -> ErasedBy | None:
        """The app function that erases this model's rows (P22), if its app declared one."""
        return self._erasure.get(model_label)

    def erasure_hooks(self) -> dict[str, ErasedBy]:
        return dict(self._erasure)

    def declare_erasure(self, model_label: str, erased_by: ErasedBy | None) -> None:
        """Set or drop (None) one model's erasure hook (tests plant hooks with it)."""
        if erased_by is None:
            self._erasure.pop(model_label, None)
        else:
            self._erasure[model_label] = erased_by

    def prior_versions_of(self, model_label: str) -> PriorVersions | None:
        """P20: the model's PRIOR_VERSIONS declaration (KeptBy or NotVersioned), if any."""
        return self._versions.get(model_label)

    def declare_prior_versions(self, model_label: str, declaration: PriorVersions | None) -> None:
        """Set or drop (None) one model's PRIOR_VERSIONS entry (tests plant gaps with it)."""
        if declaration is None:
            self._versions.pop(model_label, None)
        else:
            self._versions[model_label] = declaration

    def subject_paths(
        self, model: type[models.Model], *, user_model: type[models.Model] | None = None
    ) -> tuple[str, ...]:
        """The ORM paths from a model to the customers its rows are about: the links its app
        declared (a guardian link is about the guardian and the young person alike), else the
        first relation (``subject_path``); none for a model linked by content type only, or
        one that refers to no customer. Raises ImproperlyConfigured for a declared path that
        does not lead to the user model."""
        user_model = user_model or _user_model()
        label = model._meta.label
        declared = self._subject_links.get(label)
        if declared is not None:
            for path in declared:
                if _path_target(model, path) is not user_model:
                    raise ImproperlyConfigured(
                        f"SUBJECT_LINKS[{label!r}]: {path!r} does not lead to the user model"
                    )
            return declared
        if label in self._generic_links:
            return ()
        try:
            return (subject_path(model, user_model=user_model),)
        except LookupError:
            return ()

    def generic_links(self) -> dict[str, GenericLink]:
        """The models linked to any record by content type, by model label."""
        return dict(self._generic_links)

    def edit_url_name(self, model_label: str) -> str | None:
        """The URL name of the page where the customer corrects this model's data, if any."""
        return self._edit_urls.get(model_label)


data_map = DataMap()


# ---------------------------------------------------------------- which models are about a customer
def _relations(model: type[models.Model]) -> list[models.Field[object, object]]:
    """Forward relations, in declaration order: FK and one-to-one first, then many-to-many."""
    local: list[models.Field[object, object]] = [
        f for f in model._meta.local_fields if f.is_relation and f.related_model is not None
    ]
    return local + [f for f in model._meta.local_many_to_many if f.related_model is not None]


def _user_model() -> type[models.Model]:
    return apps.get_model(settings.AUTH_USER_MODEL)


def models_about_customers(
    candidates: Iterable[type[models.Model]], *, user_model: type[models.Model] | None = None
) -> list[type[models.Model]]:
    """The user model, and every model that points at it directly or through another one."""
    user_model = user_model or _user_model()
    pool = [m for m in candidates if not m._meta.proxy and not m._meta.auto_created]
    found: list[type[models.Model]] = [user_model]
    changed = True
    while changed:
        changed = False
        for model in pool:
            if model in found:
                continue
            if any(rel.related_model in found for rel in _relations(model)):
                found.append(model)
                changed = True
    return found


def _path_target(model: type[models.Model], path: str) -> type[models.Model] | None:
    """The model an ORM path of forward relations leads to ("" is the model itself)."""
    current: type[models.Model] = model
    for name in path.split("__") if path else ():
        try:
            relation = current._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        target = relation.related_model
        if not relation.is_relation or not isinstance(target, type):
            return None
        current = target
    return current


def subject_path(model: type[models.Model], *, user_model: type[models.Model] | None = None) -> str:
    """The ORM lookup from ``model`` to the customer it is about: ``""`` for the user model,
    ``"customer"`` or ``"order__customer"``... The first relation declared on a model wins, so
    a model with two links to users (subject and staff actor) names its subject first.
    Raises LookupError for a model that does not refer to a customer."""
    user_model = user_model or _user_model()
    queue: deque[tuple[type[models.Model], str]] = deque([(model, "")])
    seen = {model}
    while queue:
        current, path = queue.popleft()
        if current is user_model:
            return path
        for rel in _relations(current):
            target = rel.related_model
            if isinstance(target, type) and target not in seen and not rel.many_to_many:
                seen.add(target)
                queue.append((target, f"{path}__{rel.name}" if path else rel.name))
    raise LookupError(f"{model._meta.label} does not refer to a customer")
