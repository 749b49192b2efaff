"""`make bench`'s checkout scenario, kept from rotting: its buyers go the whole way against a
live shop and the real sandbox processor, and its audit finds a planted oversale and a
planted orphan authorisation (the positive controls of its "0 oversold, 0 orphans")."""

from __future__ import annotations

import importlib
import sys
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db.models import F
from django.utils import timezone

from bungu.orders.models import Order, OrderLine
from tests.catalog.factories import SKUFactory
from tests.orders.factories import place_test_order

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.append(str(BENCH))
buyers: Any = importlib.import_module("buyers")


@pytest.fixture
def shop_tables(django_db_blocker: Any) -> None:
    """The shipping methods and tax rates the data migration seeds (emptied by a
    transactional test), seeded again."""
    import_module("bungu.checkout.migrations.0002_seed_shipping_and_tax").seed(apps, None)


def _on_sale(*, stock: int) -> tuple[Any, str]:
    """A SKU whose product page shows it, and that page's path."""
    sku = SKUFactory(price=Decimal("12.00"), stock=stock)
    sku.product.refresh_listing_fields()
    return sku, f"{sku.product.get_absolute_url()}?sku={sku.code}"


# ---------------------------------------------------------------- reading forms
PAGE = """
<form method="get" action="/search/"><input name="q"></form>
<form method="post" action="/checkout/shipping/">
  <input type="hidden" name="csrfmiddlewaretoken" value="tok&amp;en">
  <input type="radio" name="method" value="3"><input type="radio" name="method" value="4">
  <select name="country"><option value="US">United States</option>
    <option value="JP" selected>Japan</option></select>
  <select name="size"><option value="s">S</option><option value="m">M</option></select>
  <input type="checkbox" name="adult"><input type="checkbox" name="news" value="yes" checked>
  <textarea name="note">Ring twice</textarea>
  <button type="submit" name="go" value="1">Continue</button>
</form>
"""


def test_a_form_is_filled_as_a_browser_would_submit_it() -> None:
    form = buyers.form_posting_to(
        PAGE, "/checkout/shipping/", page_url="http://shop/checkout/shipping/", step="shipping"
    )

    assert form.filled({"adult": "on"}) == {
        "csrfmiddlewaretoken": "tok&en",
        "country": "JP",
        "size": "s",
        "news": "yes",
        "note": "Ring twice",
        "method": "3",
        "adult": "on",
    }
    assert form.choices["method"] == ["3", "4"]


def test_a_missing_form_is_a_flow_error_naming_the_step() -> None:
    with pytest.raises(buyers.FlowError, match=r"^review: no form posting to /checkout/pay/"):
        buyers.form_posting_to(PAGE, "/checkout/pay/", page_url="http://shop/", step="review")
    # A GET form to the same address is not the form a buyer posts.
    with pytest.raises(buyers.FlowError):
        buyers.form_posting_to(PAGE, "/search/", page_url="http://shop/", step="search")


def test_forms_are_found_among_the_rest_of_a_page() -> None:
    page = (
        '<header><input name="stray"><a href="/cart/">Cart</a></header>'
        '<FORM Method="POST" action="/cart/add/"><input name="quantity" value="1"></FORM>'
        "<p>between</p>"
        '<form method="post" action="/checkout/pay/">\n<input name="attempt" value="a"></form >'
    )

    forms = buyers.find_forms(page)

    assert [(f.action, f.values) for f in forms] == [
        ("/cart/add/", {"quantity": "1"}),
        ("/checkout/pay/", {"attempt": "a"}),
    ]


# ---------------------------------------------------------------- the whole way, for real
@pytest.mark.usefixtures("shop_tables", "sandbox_gateway")
def test_buyers_go_the_whole_way_through_the_processor(live_server: Any) -> None:
    sku, path = _on_sale(stock=10)
    buyer = buyers.Buyer(shop_url=live_server.url, product_path=path)
    try:
        result = buyers.run_phase(lambda _: buyers.buyer_flow(buyer), buyers=1, flows_each=2)
    finally:
        buyer.close()

    assert result.errors == []
    assert result.confirmed == 2
    assert Order.objects.count() == 2
    # Each flow was a new guest: one order of one unit each, every step timed.
    assert list(OrderLine.objects.values_list("quantity", flat=True)) == [1, 1]
    assert result.requests_per_flow >= 12
    assert set(result.step_ms()) == {
        "product page",
        "add to cart",
        "checkout",
        "address",
        "shipping",
        "place order",
        "pay on the processor's page",
    }
    sku.refresh_from_db()
    assert (sku.stock, sku.allocated) == (10, 2)


@pytest.mark.usefixtures("shop_tables", "sandbox_gateway")
def test_a_buyer_who_finds_the_item_gone_is_told_sold_out_not_an_error(live_server: Any) -> None:
    _, path = _on_sale(stock=1)
    buyer = buyers.Buyer(shop_url=live_server.url, product_path=path)
    try:
        result = buyers.run_phase(lambda _: buyers.buyer_flow(buyer), buyers=1, flows_each=2)
    finally:
        buyer.close()

    assert [(o.confirmed, o.sold_out, o.error) for o in result.outcomes] == [
        (True, False, ""),
        (False, True, ""),
    ]
    assert Order.objects.count() == 1


# ---------------------------------------------------------------- the audit
@pytest.mark.django_db(transaction=True)
def test_the_audit_finds_a_planted_oversale_and_a_planted_orphan(sandbox_gateway, card_processor):
    shop_state: Any = importlib.import_module("shop_state")
    since = timezone.now()
    order = place_test_order()
    line = order.lines.get()
    clean = shop_state.audit(since=since, sku_ids=[line.sku_id])
    assert (clean["oversold_units"], clean["orphan_authorisations"]) == (0, [])

    # Seven ordered of a SKU that has five: two oversold. An authorised payment no order
    # refers to: an orphan.
    OrderLine.objects.filter(pk=line.pk).update(quantity=7, line_total=F("unit_price") * 7)
    payment = card_processor.create(amount=1500)
    assert card_processor.pay(payment["id"]).status_code == 303
    planted = shop_state.audit(since=since, sku_ids=[line.sku_id])

    assert planted["oversold_units"] == 2
    assert planted["orphan_authorisations"] == [payment["id"]]
    assert planted["orders"] == 1


# ---------------------------------------------------------------- choosing it
def test_scenarios_are_chosen_by_name_and_a_misspelt_one_is_refused(capsys) -> None:
    run: Any = importlib.import_module("run")

    assert run._parse_args(["--scenarios", "checkout, search"]).only == ["checkout", "search"]
    with pytest.raises(SystemExit) as refused:
        run._parse_args(["--scenarios", "chekout"])
    assert refused.value.code == 2
    assert "--scenarios: unknown chekout; choose from baseline" in capsys.readouterr().err
