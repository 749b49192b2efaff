"""privacy.E001 covers many-to-many fields like any other (P5), with planted controls."""

import pytest
from django.db import models
from django.test.utils import isolate_apps

from bungu.privacy import DataMap, checks as privacy_checks, data_map
from bungu.privacy.checks import undeclared_fields


@isolate_apps("tests.privacy")
def test_p5_an_undeclared_many_to_many_field_fails_the_check() -> None:
    class Customer(models.Model):  # noqa: DJ008  # planted, never shown
        # Which other customers this one follows: a many-to-many on the customer itself.
        follows = models.ManyToManyField("self", symmetrical=False, blank=True)

        class Meta:
            app_label = "planted"

    class Pen(models.Model):  # noqa: DJ008  # planted, never shown
        name = models.CharField(max_length=20)
        # Customers who asked to hear when it is back in stock: makes a pen about customers.
        watchers = models.ManyToManyField(Customer, blank=True)

        class Meta:
            app_label = "planted"

    class Ink(models.Model):  # noqa: DJ008  # planted, never shown  # about no one
        colour = models.CharField(max_length=20)
        pens = models.ManyToManyField(Pen, blank=True)

        class Meta:
            app_label = "planted"

    registry = DataMap()
    everything = [Customer, Pen, Ink]

    errors = undeclared_fields(everything, datamap=registry, user_model=Customer)

    assert sorted(e.msg.split(" is about")[0] for e in errors) == [
        "planted.Customer.follows",
        "planted.Ink.colour",
        "planted.Ink.pens",
        "planted.Pen.name",
        "planted.Pen.watchers",
    ]
    registry.declare(
        personal=[],
        not_personal=[
            "planted.Customer.follows",
            "planted.Pen.name",
            "planted.Pen.watchers",
            "planted.Ink.colour",
            "planted.Ink.pens",
        ],
        origin="test",
    )
    assert undeclared_fields(everything, datamap=registry, user_model=Customer) == []


def test_p5_forgetting_a_real_many_to_many_declaration_fails_the_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gap = data_map.copy()
    monkeypatch.setattr(privacy_checks, "data_map", gap)
    gap.forget("accounts.User.groups")

    errors = privacy_checks.check_data_map()

    assert [(e.id, e.msg.split(" is about")[0]) for e in errors] == [
        ("privacy.E001", "accounts.User.groups")
    ]
