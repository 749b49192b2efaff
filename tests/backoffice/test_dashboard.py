"""The staff dashboard: charts drawn on the server as SVG (no script, no inline style), each
with its numbers as a table, each shown only to the roles whose purposes cover it (P13), and
counted by the database in one query per chart."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bungu.accounts.models import User
from bungu.backoffice import charts, dashboard, views
from bungu.backoffice.roles import ROLES
from bungu.orders import fulfilment, returns, services as order_services
from bungu.orders.models import Order
from bungu.privacy.models import PrivacyRequest
from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import SKUFactory
from tests.orders.factories import place_test_order

from .factories import staff_member

pytestmark = pytest.mark.django_db

URL = "/backoffice/dashboard/"
# Which charts each role must see, written out here rather than derived from the code's table,
# so a change to who sees what fails this test until it is made on purpose.
EXPECTED: dict[str, set[str]] = {
    "Customer service": {"sales", "orders-by-state", "top-products", "returns"},
    "Fulfilment": {"orders-by-state", "top-products"},
    "Marketing": set(),
    "Fraud": set(),
    "Privacy officer": {"privacy-requests"},
    "Owner": {"sales", "orders-by-state", "top-products", "returns", "privacy-requests"},
}


def charts_on(html: str) -> set[str]:
    return set(re.findall(r'<section class="dashboard-chart" id="chart-([a-z-]+)"', html))


def shop_with_orders(gateway, count: int = 3) -> list[Order]:
    customer = CustomerFactory()
    orders = [place_test_order(customer=customer, gateway=gateway) for _ in range(count)]
    fulfilment.ship_lines(
        order=orders[0],
        line_ids=[orders[0].lines.get().pk],
        carrier="ups",
        tracking_number="1Z0000000001",
        actor="staff #1",
    )
    order_services.cancel_order(order=orders[-1], actor="staff #1", reason="test")
    returns.request_return(
        order=orders[0],
        quantities={orders[0].lines.get().pk: 1},
        reason="Too broad",
        actor="customer",
    )
    return orders


def test_an_empty_shop_says_so_plainly(client):
    client.force_login(staff_member("Owner"))
    html = client.get(URL).content.decode()
    assert charts_on(html) == EXPECTED["Owner"]
    assert "No orders yet in the last 30 days." in html
    assert "No orders yet." in html
    assert "No orders yet, so no products sold." in html
    assert "No returns asked for yet." in html
    assert "No privacy requests yet." in html
    assert "<svg" not in html


def test_the_charts_are_svg_with_a_title_a_description_and_a_table(client, gateway):
    shipped, placed, cancelled = shop_with_orders(gateway)
    client.force_login(staff_member("Owner"))
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    # Five pictures, each an image with its title and description named.
    svgs = re.findall(r"<svg [^>]*>", html)
    assert len(svgs) == 4  # privacy requests: none yet, so no picture
    for key in ("sales", "orders-by-state", "top-products", "returns"):
        assert f'role="img" aria-labelledby="chart-{key}-title chart-{key}-desc"' in html, key
        assert f'<title id="chart-{key}-title">' in html
        assert f'<desc id="chart-{key}-desc">' in html
    # Today's sales: two orders of $25.00 (the cancelled one left out).
    assert "in 2 orders; the best day was" in html
    assert re.search(r"<th scope=\"row\">[^<]+</th><td>2</td><td>\$50\.00</td>", html)
    # Orders by state, as a table too.
    assert '<th scope="row">Shipped</th><td>1</td>' in html
    assert '<th scope="row">Placed</th><td>1</td>' in html
    assert '<th scope="row">Cancelled</th><td>1</td>' in html
    # Top products: the shipped and placed orders' pens (2 units each), not the cancelled one's.
    for order in (shipped, placed):
        name = order.lines.get().sku.product.name
        assert f'<th scope="row">{name}</th><td>2</td>' in html
    assert cancelled.lines.get().sku.product.name not in html
    assert '<th scope="row">Requested</th><td>1</td>' in html


def test_the_page_keeps_the_strict_csp(client, gateway):
    shop_with_orders(gateway)
    client.force_login(staff_member("Owner"))
    response = client.get(URL)
    html = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy
    assert "<script" not in html
    assert " style=" not in html
    assert "<style" not in html
    assert re.search(r"\son[a-z]+=", html) is None


@pytest.mark.parametrize("role", [role.name for role in ROLES])
def test_each_role_sees_exactly_the_charts_its_purposes_cover(client, gateway, role):
    shop_with_orders(gateway)
    client.force_login(staff_member(role))
    html = client.get(URL).content.decode()
    assert charts_on(html) == EXPECTED[role]
    if "sales" not in EXPECTED[role]:
        # Not the chart, and not its figures either.
        assert "$50.00" not in html
        assert "Sales per day" not in html
    if not EXPECTED[role]:
        assert "Your role has no charts" in html


def test_the_role_walk_catches_a_chart_given_to_the_wrong_role(client, gateway, monkeypatch):
    """Positive control: sales planted for fulfilment is seen, and the walk says so."""
    shop_with_orders(gateway)
    planted = tuple(
        dashboard.ChartSpec(spec.key, spec.purposes | {dashboard.Purpose.FULFILMENT}, spec.build)
        if spec.key == "sales"
        else spec
        for spec in dashboard.CHARTS
    )
    monkeypatch.setattr(dashboard, "CHARTS", planted)
    client.force_login(staff_member("Fulfilment"))
    html = client.get(URL).content.decode()
    assert charts_on(html) != EXPECTED["Fulfilment"]
    assert "sales" in charts_on(html)


def _render(member) -> list[str]:
    """The view alone (no middleware: its session queries vary with the clock), for a member
    read afresh so their permissions are not cached yet."""
    request = RequestFactory().get(URL)
    request.user = User.objects.get(pk=member.pk)
    with CaptureQueriesContext(connection) as captured:
        assert views.dashboard(request).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_the_query_count_does_not_grow_with_the_orders(gateway, django_assert_num_queries):
    owner = staff_member("Owner")
    shop_with_orders(gateway, count=2)
    few = _render(owner)
    shop_with_orders(gateway, count=6)
    for _ in range(5):
        place_test_order(gateway=gateway, sku=SKUFactory(price=Decimal("10.00"), stock=5))
    PrivacyRequest.objects.create(
        customer=CustomerFactory(), kind="access", description="A copy, please."
    )
    many = _render(owner)
    assert len(few) == len(many)
    # One aggregate per chart; the rest is the member's permissions (two) and the layout's.
    assert len([sql for sql in many if "GROUP BY" in sql.upper()]) == len(dashboard.CHARTS)
    member = User.objects.get(pk=owner.pk)
    with django_assert_num_queries(2 + len(dashboard.CHARTS)):
        dashboard.charts_for(member)


def test_a_role_with_fewer_charts_runs_fewer_queries(gateway):
    shop_with_orders(gateway)
    # Fulfilment: orders by state and top products; sales and returns are never counted.
    counted = _render(staff_member("Fulfilment"))
    assert len([sql for sql in counted if "GROUP BY" in sql.upper()]) == 2


def test_sales_per_day_leaves_out_cancelled_orders_and_older_days(gateway):
    orders = shop_with_orders(gateway)
    Order.objects.filter(pk=orders[1].pk).update(created_at=timezone.now() - timedelta(days=40))
    chart = dashboard.sales_chart()
    assert len(chart.bars) == dashboard.SALES_DAYS
    assert chart.bars[-1].value == Decimal("25.00")
    assert sum(bar.value for bar in chart.bars) == Decimal("25.00")
    assert chart.rows[-1][1:] == ["1", "$25.00"]


def test_nice_ceilings_make_round_axes():
    assert charts.nice_ceiling(0) == 1
    assert charts.nice_ceiling(7) == 10
    assert charts.nice_ceiling(20) == 20
    assert charts.nice_ceiling(21) == 25
    assert charts.nice_ceiling(Decimal("0.3")) == Decimal("0.5")
    assert charts.nice_ceiling(1234) == 2000


def test_columns_stay_inside_the_plot_and_scale_to_the_largest():
    chart = charts.columns(
        key="k",
        title="t",
        description="d",
        points=[("a", "a", 10), ("b", "b", 40), ("c", "c", 0)],
        fmt=str,
        axis_fmt=str,
        headings=["x", "y"],
        rows=[],
        empty="none",
    )
    tall, zero = chart.bars[1], chart.bars[2]
    assert chart.bars[0].height * 4 == pytest.approx(tall.height, abs=0.2)
    assert zero.height == 0
    for bar in chart.bars:
        assert bar.y >= 0
        assert bar.y + bar.height == pytest.approx(chart.baseline, abs=0.1)
        assert chart.plot_left <= bar.x
        assert bar.x + bar.width <= chart.plot_right
    assert chart.empty == ""
    assert [tick.text for tick in chart.gridlines] == ["0", "10", "20", "30", "40"]


def test_staff_only_customers_get_404_and_visitors_the_sign_in(client):
    assert client.get(URL).status_code == 302
    client.force_login(CustomerFactory())
    assert client.get(URL).status_code == 404
