"""CPU milliseconds of an uncached catalogue page, measured in this process.

Run under the shop's settings, on a catalogue the benchmark (or ``bungu load_demo_catalog
--skus 10000``) made, so the pages are the ones ``probe.py`` picks for the load scenarios:

    BUNGU_VAR_DIR=... python bench/cold_cost.py                # median CPU ms per kind
    BUNGU_VAR_DIR=... python bench/cold_cost.py --profile category   # and where it goes

The page cache is off (``BUNGU_PAGE_CACHE_SECONDS=0``), so every request renders its page.
CPU time, not wall time, so a loaded machine changes the figures little.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import time

os.environ["BUNGU_PAGE_CACHE_SECONDS"] = "0"

import probe  # sets Django up under the shop's settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def _paths() -> dict[str, list[str]]:
    return {
        "category": probe._category_paths(),
        "search": probe._search_paths(),
        "product": probe._product_paths(limit=20, seed=1),
    }


def _cpu_ms(client: Client, path: str, *, empty_cache: bool) -> float:
    if empty_cache:
        # As the probe measures the "cold ms" column: navigation, generation and versions too.
        cache.clear()
    started = time.process_time()
    client.get(path)
    return (time.process_time() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8, help="visits of each page (8)")
    parser.add_argument("--profile", choices=("category", "search", "product"), default="")
    parser.add_argument(
        "--empty-cache",
        action="store_true",
        help="empty the whole cache before each visit, as the probe's cold ms does",
    )
    args = parser.parse_args()

    client = Client()
    paths = _paths()
    for kind_paths in paths.values():
        for path in kind_paths:  # warm the process: imports, templates, URL resolvers
            client.get(path)
    for kind, kind_paths in paths.items():
        spent = [
            _cpu_ms(client, path, empty_cache=args.empty_cache)
            for _ in range(args.rounds)
            for path in kind_paths
        ]
        with CaptureQueriesContext(connection) as queries:
            client.get(kind_paths[0])
        print(
            f"{kind:9} median {statistics.median(spent):5.1f} ms CPU, min {min(spent):5.1f}, "
            f"{len(queries)} queries ({len(kind_paths)} pages)"
        )
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.rounds):
            for path in paths[args.profile]:
                if args.empty_cache:
                    cache.clear()
                client.get(path)
        profile.disable()
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
