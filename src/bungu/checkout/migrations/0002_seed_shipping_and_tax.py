"""The shipping methods and state sales tax rates the shop starts with (staff edit them in
the admin). Tax rates are the states' base rates; local rates are left to a tax service."""

from decimal import Decimal

from django.db import migrations

METHODS = [
    # code, name, speed, kind, price, free_above, note, position
    ("standard", "Standard", "standard", "free_above", "5.00", "50.00", "3 to 5 working days", 0),
    ("express", "Express", "express", "weight_bands", "0.00", None, "1 to 2 working days", 1),
]
EXPRESS_BANDS = [(500, "12.00"), (2000, "18.00"), (None, "28.00")]
STATE_RATES = [
    ("CA", "California", "0.0725", False),
    ("FL", "Florida", "0.06", False),
    ("IL", "Illinois", "0.0625", False),
    ("MA", "Massachusetts", "0.0625", False),
    ("NJ", "New Jersey", "0.06625", True),
    ("NY", "New York", "0.04", True),
    ("PA", "Pennsylvania", "0.06", True),
    ("TX", "Texas", "0.0625", True),
    ("WA", "Washington", "0.065", True),
]


def seed(apps, schema_editor):
    method_model = apps.get_model("checkout", "ShippingMethod")
    rate_model = apps.get_model("checkout", "ShippingRate")
    tax_model = apps.get_model("checkout", "TaxRate")
    for code, name, speed, kind, price, free_above, note, position in METHODS:
        method, _ = method_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "speed": speed,
                "kind": kind,
                "price": Decimal(price),
                "free_above": Decimal(free_above) if free_above else None,
                "delivery_note": note,
                "position": position,
            },
        )
        if kind == "weight_bands":
            for up_to, band_price in EXPRESS_BANDS:
                rate_model.objects.get_or_create(
                    method=method, up_to_grams=up_to, defaults={"price": Decimal(band_price)}
                )
    for region, name, rate, taxes_shipping in STATE_RATES:
        tax_model.objects.get_or_create(
            region=region,
            defaults={"name": name, "rate": Decimal(rate), "taxes_shipping": taxes_shipping},
        )


class Migration(migrations.Migration):
    dependencies = [("checkout", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
