"""Run under the shop's settings by ``run.py`` during the churn scenario: change the stock of
one SKU a second, the way orders do, until stopped or ``--seconds`` are over.

Each change is one the pages must show: a SKU sells out (``hold_stock`` of all it has, as a
checkout of the last units does) or comes back (``release_stock`` of that hold, as an expired
checkout does), so every change makes stale its product page and the listings that show it.
The SKUs come from ``--skus`` (a file of ids, one a line), in a fixed random order; what is
still held when the run ends is given back. Prints the number of changes made.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import time
from pathlib import Path
from types import FrameType

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bungu.settings")
django.setup()

from bungu.catalog import services as catalog  # noqa: E402

_stopping = False


def _stop(_signum: int, _frame: FrameType | None) -> None:
    global _stopping  # noqa: PLW0603 - the one flag a signal handler sets
    _stopping = True


def _change(sku_id: int, held: dict[int, int]) -> bool:
    """Sell out ``sku_id``, or give back what was held of it; False when nothing changed."""
    if sku_id in held:
        catalog.release_stock(lines={sku_id: held.pop(sku_id)})
        return True
    available = catalog.get_available(sku_ids=[sku_id]).get(sku_id, 0)
    if available < 1:
        return False
    try:
        catalog.hold_stock(lines={sku_id: available})
    except catalog.OutOfStock:
        return False
    held[sku_id] = available
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skus", type=Path, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--per-second", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop)
    skus = [int(line) for line in args.skus.read_text().split() if line.strip()]
    if not skus:
        raise SystemExit("churn: no SKUs to change")
    order = random.Random(args.seed).sample(skus, len(skus))  # noqa: S311
    held: dict[int, int] = {}
    changes, tick = 0, 0
    started = time.monotonic()
    try:
        while not _stopping and time.monotonic() - started < args.seconds:
            # Every other change gives back the SKU sold out just before, so the shop does
            # not run dry: sell out A, bring back A, sell out B, bring back B...
            sku_id = order[(tick // 2) % len(order)]
            changes += _change(sku_id, held)
            tick += 1
            next_at = started + tick / args.per_second
            time.sleep(max(0.0, next_at - time.monotonic()))
    finally:
        for sku_id, units in held.items():
            catalog.release_stock(lines={sku_id: units})
    print(changes, flush=True)


if __name__ == "__main__":
    main()
