"""Every function of the shop that writes a SKU's stock (or what is held of it) records the
returns to stock it causes, or says why it cannot cause one. The dynamic checks
(``restock_ledger``) prove each path known today; this walk makes a new path that forgets
``restocks`` fail before any test of it exists. It has its own planted violation."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.test_import_contracts import ROOT

SOURCE = ROOT / "src" / "bungu"
STOCK_COLUMNS = {"stock", "allocated"}
# A function that writes stock keeps restocked_at by calling one of these.
RECORDERS = {"record_restocks", "_follow_stock_change", "when_restocked"}
# Functions that write stock yet cannot bring units back, each with the reason.
EXCUSED = {
    "bungu/catalog/services.py:_give_back": "a step of hold_stock and release_stock, which "
    "follow the whole change",
    "bungu/catalog/services.py:consume_stock": "takes the same units from on hand and from "
    "allocated: what is available does not change",
}


def _writes_stock(call: ast.Call) -> bool:
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "update" and STOCK_COLUMNS & {k.arg for k in call.keywords}:
        return True
    # SKU.objects.bulk_update(...): its field list is often computed, so any counts.
    return func.attr == "bulk_update" and "SKU" in ast.unparse(func.value)


def _names_called(node: ast.AST) -> set[str]:
    names = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            names.add(func.attr if isinstance(func, ast.Attribute) else ast.unparse(func))
    return names


def stock_writers(root: Path) -> dict[str, bool]:
    """``path:function`` of each function under ``root`` that writes stock -> whether it
    records returns to stock."""
    writers: dict[str, bool] = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if any(
                isinstance(node, ast.Call) and _writes_stock(node) for node in ast.walk(function)
            ):
                name = f"{path.relative_to(root.parent).as_posix()}:{function.name}"
                writers[name] = bool(RECORDERS & _names_called(function))
    return writers


def stock_writers_without_a_record(root: Path) -> list[str]:
    return [
        name for name, records in stock_writers(root).items() if not records and name not in EXCUSED
    ]


def test_every_function_that_writes_stock_records_returns_to_stock() -> None:
    writers = stock_writers(SOURCE)
    assert stock_writers_without_a_record(SOURCE) == []
    # The walk sees the paths known today (it is not blind), and every excuse is still one.
    assert {
        "bungu/catalog/csv_import.py:_write",
        "bungu/catalog/services.py:hold_stock",
        "bungu/catalog/services.py:restock",
    } <= {name for name, records in writers.items() if records}
    assert set(EXCUSED) <= set(writers)


def test_the_walk_catches_a_planted_path(tmp_path: Path) -> None:
    """Positive control: a new stock path that forgets the record is named; the same path
    that records is not."""
    package = tmp_path / "bungu" / "warehouse"
    package.mkdir(parents=True)
    (package / "deliveries.py").write_text(
        "from django.db.models import F\n"
        "from bungu.catalog.models import SKU\n"
        "from bungu.catalog.restocks import record_restocks\n\n"
        "def receive_delivery(sku_id, units):\n"
        "    SKU.objects.filter(pk=sku_id).update(stock=F('stock') + units)\n\n"
        "def count_the_shelves(skus):\n"
        "    SKU.objects.bulk_update(skus, ['stock'])\n\n"
        "def receive_and_record(sku_id, units, now):\n"
        "    SKU.objects.filter(pk=sku_id).update(stock=F('stock') + units)\n"
        "    record_restocks(SKU.objects.all(), sku_ids=[sku_id], at=now)\n"
    )

    found = list(stock_writers_without_a_record(tmp_path / "bungu"))

    assert found == [
        "bungu/warehouse/deliveries.py:receive_delivery",
        "bungu/warehouse/deliveries.py:count_the_shelves",
    ]
