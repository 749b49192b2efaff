"""Finding the segments every installed app declares in its ``segments.py``
(``bungu.segments``), and the customers a campaign may go to."""

from __future__ import annotations

from datetime import datetime
from importlib import import_module
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils.module_loading import module_has_submodule

from bungu.segments import DECLARATIONS_MODULE, Segment

from .exceptions import UnknownSegment


def declared_segments() -> dict[str, Segment]:
    """Every segment the installed apps declare, by key. Raises ImproperlyConfigured for a
    ``SEGMENTS`` holding something else, or a key declared twice."""
    found: dict[str, Segment] = {}
    for app_config in apps.get_app_configs():
        if not module_has_submodule(app_config.module, DECLARATIONS_MODULE):
            continue
        module = import_module(f"{app_config.name}.{DECLARATIONS_MODULE}")
        for segment in getattr(module, "SEGMENTS", ()):
            if not isinstance(segment, Segment):
                raise ImproperlyConfigured(f"{module.__name__}.SEGMENTS holds {segment!r}.")
            if segment.key in found:
                raise ImproperlyConfigured(f"Two segments are named {segment.key!r}.")
            found[segment.key] = segment
    return found


def get_segment(key: str) -> Segment:
    """Raises UnknownSegment."""
    segment = declared_segments().get(key)
    if segment is None:
        raise UnknownSegment(f"There is no segment {key[:40]!r}.")
    return segment


def effective_argument(segment: Segment, argument: str) -> str:
    """The argument the segment is built with: the one given, else the segment's default;
    "" for a segment that asks none."""
    if not segment.argument:
        return ""
    return argument.strip() or segment.default


def segment_members(*, key: str, argument: str, now: datetime) -> QuerySet[Any]:
    """The customers in a segment who could be written to at all: active accounts with an
    address, staff left out. Whether each may be written to is asked again at send time.
    Raises UnknownSegment for an unknown segment or an argument it cannot use."""
    segment = get_segment(key)
    argument = effective_argument(segment, argument)
    if segment.argument and not argument:
        raise UnknownSegment(f"This segment needs a {segment.argument}.")
    try:
        ids = segment.members(argument=argument, now=now)
    except ValueError as error:
        raise UnknownSegment(str(error)) from None
    return (
        get_user_model()
        ._default_manager.filter(pk__in=ids, is_active=True, is_staff=False)
        .exclude(email="")
        .order_by("pk")
    )


def segment_size(*, key: str, argument: str, now: datetime) -> int:
    """How many customers the segment holds now. Raises UnknownSegment."""
    return segment_members(key=key, argument=argument, now=now).count()
