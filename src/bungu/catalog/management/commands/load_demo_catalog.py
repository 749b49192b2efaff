"""`bungu load_demo_catalog`: fill an empty shop with a realistic stationery catalogue."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from bungu.catalog.demo import DEFAULT_PRODUCTS, MAX_SKUS, load_demo_catalogue
from bungu.catalog.models import Product


class Command(BaseCommand):
    help = (
        "Load the demo catalogue of Japanese stationery (the same for the same --seed). "
        f"Makes {DEFAULT_PRODUCTS} products unless told --products or --skus."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        size = parser.add_mutually_exclusive_group()
        size.add_argument("--products", type=int, help="How many products to make.")
        size.add_argument(
            "--skus", type=int, help=f"How many SKUs to make in all (at most {MAX_SKUS:,})."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        existing = parser.add_mutually_exclusive_group()
        existing.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the catalogue already has products.",
        )
        existing.add_argument(
            "--replace",
            action="store_true",
            help="Delete every product (and its SKUs) first.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        products: int | None = options["products"]
        skus: int | None = options["skus"]
        if products is not None and products < 1:
            raise CommandError("--products must be at least 1.")
        if skus is not None and not 1 <= skus <= MAX_SKUS:
            raise CommandError(f"--skus must be between 1 and {MAX_SKUS:,}.")

        existing = Product.objects.count()
        if existing and options["if_empty"]:
            self.stdout.write(f"The catalogue already has {existing:,} products; loaded nothing.")
            return
        if existing and not options["replace"]:
            raise CommandError(
                f"The catalogue already has {existing:,} products. Use --if-empty to skip "
                "loading, or --replace to delete them first."
            )

        with transaction.atomic():
            if existing:
                Product.objects.all().delete()
            with tqdm(
                total=skus, unit=" SKUs", disable=not sys.stderr.isatty(), file=sys.stderr
            ) as bar:
                result = load_demo_catalogue(
                    seed=options["seed"], products=products, skus=skus, on_progress=bar.update
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the demo catalogue: {result.products:,} products, {result.skus:,} SKUs "
                f"(seed {options['seed']})."
            )
        )
