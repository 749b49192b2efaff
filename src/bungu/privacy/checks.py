"""System checks that keep the data map complete and true.

* ``privacy.E001``: a model that refers to a customer has a field declared neither personal
  nor not personal (P5: nothing is gathered beyond what is declared).
* ``privacy.E002``: a declaration names a model or field that does not exist.
* ``privacy.E003``: a declaration says a field serves a purpose whose scope excludes the
  field's category (P13), so ``access()`` could never hand it over for that purpose.
* ``privacy.E004``: a field declares a retention that nothing can enforce, because its
  model says neither how old its rows are nor who purges them (P5).
* ``privacy.E005``: an ``ErasedBy`` hook (P22) names a function that cannot be imported, or a
  model whose rows the erasure does not delete whole.
* ``privacy.E006``: a model holds personal fields people can change but says neither how
  their prior versions are kept nor why none are needed (P20), or names a keeper that cannot
  be imported, or does not inherit the save hook that calls it.
* ``privacy.E007``: a model that keeps prior versions has a manager whose querysets are not
  ``PriorVersionsQuerySet``, so its ``update()`` and ``bulk_update()`` would change given data
  without keeping the earlier version (P20).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.module_loading import import_string

from bungu.privacy.datamap.registry import (
    DECLARATIONS_MODULE,
    DataMap,
    KeptBy,
    NotVersioned,
    data_map,
    models_about_customers,
    split_label,
)
from bungu.privacy.sharing.scopes import purpose_may_see


def checked_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The fields a declaration must cover: every column and many-to-many the model defines,
    less what Django adds by itself (the automatic primary key, multi-table parent links)."""
    own = [*model._meta.local_fields, *model._meta.local_many_to_many]
    return [f for f in own if not f.auto_created]


def undeclared_fields(
    candidates: Iterable[type[models.Model]],
    *,
    datamap: DataMap,
    user_model: type[models.Model] | None = None,
) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for model in models_about_customers(candidates, user_model=user_model):
        app = model._meta.app_config
        module = f"{app.name}.{DECLARATIONS_MODULE}" if app else DECLARATIONS_MODULE
        for model_field in checked_fields(model):
            label = f"{model._meta.label}.{model_field.name}"
            if datamap.is_declared(label):
                continue
            errors.append(
                checks.Error(
                    f"{label} is about a customer but is declared neither personal nor not "
                    "personal.",
                    hint=f"Declare it in {module}: a Field(...) in PERSONAL, or in NOT_PERSONAL.",
                    obj=model,
                    id="privacy.E001",
                )
            )
    return errors


def unknown_declarations(labels: Iterable[str]) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for label in labels:
        model_label, field_name = split_label(label)
        try:
            model = apps.get_model(model_label)
            model._meta.get_field(field_name)
        except LookupError:
            problem = f"there is no model {model_label}"
        except FieldDoesNotExist:
            problem = f"{model_label} has no field {field_name!r}"
        else:
            continue
        errors.append(
            checks.Error(
                f"The data map declares {label}, but {problem}.",
                hint="Correct the name or remove the declaration.",
                id="privacy.E002",
            )
        )
    return errors


def scope_conflicts(datamap: DataMap) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            f"{item.label} ({item.category}) is declared to serve {purpose}, whose scope does "
            "not include that category.",
            hint="Remove the purpose from the declaration or widen the scope in scopes.py.",
            id="privacy.E003",
        )
        for item in datamap
        for purpose in sorted(item.purposes)
        if not purpose_may_see(purpose, item.category)
    ]


def unenforceable_retention(datamap: DataMap) -> list[checks.CheckMessage]:
    from bungu.privacy.rights.retention import retention_problems  # noqa: PLC0415 - imports models: apps must be ready

    return [
        checks.Error(
            problem,
            hint="Add the model to RETENTION in its personal_data.py: Clock(<date field>) or "
            "PurgedBy(<dotted path of the app's purge function>).",
            id="privacy.E004",
        )
        for problem in retention_problems(datamap)
    ]


def broken_erasure_hooks(datamap: DataMap) -> list[checks.CheckMessage]:
    from bungu.privacy.rights.erasure import erasure_hook_problems  # noqa: PLC0415 - imports models: apps must be ready

    return [
        checks.Error(
            problem,
            hint="ERASURE in personal_data.py names the app function that deletes the rows "
            "(ErasedBy(<dotted path>)), for a model whose personal fields are all DELETE.",
            id="privacy.E005",
        )
        for problem in erasure_hook_problems(datamap)
    ]


def _prior_version_problem(model_label: str, datamap: DataMap) -> str | None:
    from bungu.privacy.datamap.versions import (  # noqa: PLC0415 - defines a model: apps must be ready
        KeepsPriorVersions,
        versioned_fields,
    )

    fields = versioned_fields(model_label)
    if not fields:
        return None
    declared = datamap.prior_versions_of(model_label)
    if isinstance(declared, NotVersioned) and declared.reason.strip():
        return None
    if not isinstance(declared, KeptBy):
        return (
            f"{model_label} holds personal data people can change ({', '.join(fields)}) but "
            "declares neither how its prior versions are kept nor why none are needed (P20)."
        )
    try:
        import_string(declared.function_path)
        model = apps.get_model(model_label)
    except (ImportError, LookupError) as error:
        return f"{model_label}: the prior-version keeper {declared.function_path!r}: {error}"
    if not issubclass(model, KeepsPriorVersions):
        return (
            f"{model_label} declares a prior-version keeper but does not inherit "
            "KeepsPriorVersions, so its saves never call it (P20)."
        )
    return None


def unversioned_models(datamap: DataMap) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            problem,
            hint="PRIOR_VERSIONS in personal_data.py: KeptBy(<dotted path of the keeper>) with "
            "the model inheriting privacy.KeepsPriorVersions, or NotVersioned(<why>).",
            id="privacy.E006",
        )
        for label in datamap.model_labels()
        if (problem := _prior_version_problem(label, datamap))
    ]


def _managers(model: type[models.Model]) -> list[models.Manager[Any]]:
    """Every manager people update through: those the model declares or inherits (the
    default one among them, and the base manager when ``Meta.base_manager_name`` names one),
    the default one again in case Django made it, and through it the related managers
    (``customer.addresses``), whose class Django derives from the default manager's."""
    found = list(model._meta.managers)
    return found if model._default_manager in found else [*found, model._default_manager]


def updates_without_prior_versions(
    candidates: Iterable[type[models.Model]], *, datamap: DataMap
) -> list[checks.CheckMessage]:
    from bungu.privacy.datamap.versions import (  # noqa: PLC0415 - defines a model: apps must be ready
        KeepsPriorVersions,
        PriorVersionsQuerySet,
    )

    return [
        checks.Error(
            f"{model._meta.label}.{manager.name} ({type(manager).__name__}) makes "
            f"{type(queryset).__name__} querysets, whose update() and bulk_update() change "
            "given personal data without keeping the earlier version (P20).",
            hint="Build it on privacy.PriorVersionsQuerySet: privacy.PriorVersionsManager(), or "
            "the as_manager() of a subclass of it.",
            obj=model,
            id="privacy.E007",
        )
        for model in candidates
        if issubclass(model, KeepsPriorVersions)
        and isinstance(datamap.prior_versions_of(model._meta.label), KeptBy)
        for manager in _managers(model)
        if not isinstance(queryset := manager.get_queryset(), PriorVersionsQuerySet)
    ]


@checks.register("privacy")
def check_data_map(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    if app_configs is None:
        candidates = apps.get_models()
        labels = data_map.declared_labels()
    else:
        app_labels = {config.label for config in app_configs}
        candidates = [m for m in apps.get_models() if m._meta.app_label in app_labels]
        labels = [
            label for label in data_map.declared_labels() if label.split(".")[0] in app_labels
        ]
    # A customer-related model outside the checked apps still needs its declarations, but it
    # is reported when its own app is checked.
    every_model = apps.get_models()
    errors = [
        error
        for error in undeclared_fields(every_model, datamap=data_map)
        if error.obj in candidates
    ]
    return [
        *errors,
        *unknown_declarations(labels),
        *scope_conflicts(data_map),
        *unenforceable_retention(data_map),
        *broken_erasure_hooks(data_map),
        *unversioned_models(data_map),
        *updates_without_prior_versions(candidates, datamap=data_map),
    ]
