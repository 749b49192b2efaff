"""The checkout scenario's load generator: buyers who go the whole way, as a browser would.

Each buyer is a thread with its own ``httpx`` client, so its own cookie jar shared by the
shop's and the processor's origins, as a browser's is. A flow: the product page, "Add to
cart", the cart, the checkout's address (as a guest), shipping and review pages, "Place
order", the processor's page and its form with the approved test card, the return to the
shop and the confirmation page. Forms are read from the HTML (CSRF token, hidden fields,
the first shipping choice), never built from knowledge of the views, so a changed page
fails the flow instead of being skipped. Redirects are followed by hand, so every request
is counted and timed.

Nothing here imports Django: ``bench/run.py`` and the tests use it against live servers.
"""

from __future__ import annotations

import re
import ssl
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

APPROVED_CARD = {
    "name": "Bench Buyer",
    "number": "4242 4242 4242 4242",
    "expiry": "12/39",
    "cvc": "123",
}
GUEST_DETAILS = {
    "email": "buyer@example.com",
    "recipient": "Bench Buyer",
    "line1": "1 Market Street",
    "city": "San Francisco",
    "region": "CA",
    "postal_code": "94105",
    "country": "US",
    "adult": "on",
}
# What the shop says when the stock ran out under a buyer; such a flow is "sold out", not an
# error (the scarce phase expects it).
SOLD_OUT_SIGNS = ("bought the last of", "Nothing was added", "sold out", "Sold out")
MAX_REDIRECTS = 6
REQUEST_TIMEOUT = 30.0


class FlowError(Exception):
    """A flow went wrong: an unexpected status, a missing form, a refused payment."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step


class SoldOut(Exception):  # noqa: N818 - a domain noun, as the shop's own
    """The shop told the buyer that the item is gone; nothing was bought."""


# ---------------------------------------------------------------- reading forms from HTML
@dataclass
class Form:
    action: str
    method: str
    # What a browser submits unchanged: hidden and filled-in inputs, checked boxes, the
    # selected option of each select.
    values: dict[str, str] = field(default_factory=dict)
    # Every choice a radio group or select offers, in page order.
    choices: dict[str, list[str]] = field(default_factory=dict)

    def filled(self, answers: dict[str, str] | None = None) -> dict[str, str]:
        """The fields a browser would post, with ``answers`` typed over them; a radio group
        nobody answered gets its first choice, as a person picking the default would."""
        data = dict(self.values)
        for name, offered in self.choices.items():
            if name not in data and offered:
                data[name] = offered[0]
        return data | (answers or {})


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").upper())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            self._input(a)
        elif tag == "select" and a.get("name"):
            self._select, self._select_first = a["name"], None
            self._form.choices.setdefault(a["name"], [])
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._form.choices[self._select].append(value)
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                self._form.values[self._select] = value
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form.values[a["name"]] = ""

    def _input(self, a: dict[str, str]) -> None:
        assert self._form is not None  # noqa: S101 - called inside a form only
        name, kind = a.get("name"), a.get("type", "text").lower()
        if not name or kind in {"submit", "button", "image", "reset", "file"}:
            return
        if kind in {"radio", "checkbox"}:
            if kind == "radio":
                self._form.choices.setdefault(name, []).append(a.get("value", "on"))
            if "checked" in a:
                self._form.values[name] = a.get("value", "on")
            return
        self._form.values[name] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            if self._select not in self._form.values and self._select_first is not None:
                self._form.values[self._select] = self._select_first
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None and self._form is not None:
            self._form.values[self._textarea] += data


# A form cannot hold another form, so each one is the text from its start tag to the next
# end tag. Parsing those pieces alone, rather than the header, navigation and footer around
# them, keeps the buyers' share of the machine small: they run on the same CPUs as the shop.
_FORM = re.compile(r"<form\b.*?</form\s*>", re.IGNORECASE | re.DOTALL)


def find_forms(html: str) -> list[Form]:
    """Every form of a page, in order."""
    parser = _FormParser()
    for piece in _FORM.findall(html):
        parser.feed(piece)
    parser.close()
    return parser.forms


def form_posting_to(html: str, path: str, *, page_url: str, step: str) -> Form:
    """The first POST form whose action is ``path`` (resolved against ``page_url``; a path
    ending in ``/`` matches that folder's form only). Raises FlowError when there is none."""
    for form in find_forms(html):
        action = urlsplit(urljoin(page_url, form.action or page_url)).path
        if form.method == "POST" and (
            action == path or (path.endswith("*") and action.startswith(path[:-1]))
        ):
            return form
    raise FlowError(step, f"no form posting to {path} on {page_url}")


# ---------------------------------------------------------------- one buyer
@dataclass(frozen=True)
class FlowOutcome:
    confirmed: bool
    sold_out: bool
    seconds: float
    requests: int
    error: str = ""
    # Seconds per named step (a step is one request and the redirects it leads to).
    steps: tuple[tuple[str, float], ...] = ()


@dataclass
class Buyer:
    """One customer with one browser: ``buy`` goes the whole way once."""

    shop_url: str
    product_path: str
    quantity: int = 1
    # What the client trusts over TLS: the cluster's front has a certificate of its own.
    verify: ssl.SSLContext | bool = True
    client: httpx.Client = field(init=False)
    requests: int = field(init=False, default=0)
    steps: list[tuple[str, float]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.shop_url = self.shop_url.rstrip("/")
        self.client = httpx.Client(
            verify=self.verify, timeout=REQUEST_TIMEOUT, follow_redirects=False
        )

    def close(self) -> None:
        self.client.close()

    def new_browser(self) -> None:
        """A fresh cookie jar: the next flow is a new guest with an empty cart."""
        self.client.cookies.clear()

    def _go(
        self,
        step: str,
        method: str,
        url: str,
        data: dict[str, str] | None = None,
        *,
        referer: str = "",
    ) -> httpx.Response:
        """One request and the redirects after it, as a browser follows them."""
        started = time.perf_counter()
        headers = {}
        if method == "POST":
            parts = urlsplit(referer or url)
            headers = {"Origin": f"{parts.scheme}://{parts.netloc}", "Referer": referer or url}
        response = self.client.request(method, url, data=data, headers=headers)
        self.requests += 1
        hops = 0
        while response.is_redirect:
            hops += 1
            if hops > MAX_REDIRECTS:
                raise FlowError(step, f"more than {MAX_REDIRECTS} redirects from {url}")
            url = urljoin(str(response.url), response.headers["location"])
            response = self.client.get(url)
            self.requests += 1
        self.steps.append((step, time.perf_counter() - started))
        if response.status_code != 200:
            _raise_for_sold_out(response)
            raise FlowError(step, f"{response.status_code} from {response.url}")
        return response

    def _submit(
        self, step: str, page: httpx.Response, path: str, answers: dict[str, str] | None = None
    ) -> httpx.Response:
        page_url = str(page.url)
        try:
            form = form_posting_to(page.text, path, page_url=page_url, step=step)
        except FlowError:
            _raise_if_sold_out(page)  # a sold-out item's page has no "Add to cart"
            raise
        action = urljoin(page_url, form.action or page_url)
        return self._go(step, "POST", action, form.filled(answers), referer=page_url)

    def buy(self) -> FlowOutcome:
        """Go from the product page to the confirmation page once; never raises."""
        self.requests, self.steps = 0, []
        started = time.perf_counter()
        try:
            self._walk()
        except SoldOut:
            return self._outcome(started, confirmed=False, sold_out=True)
        except FlowError as error:
            return self._outcome(started, confirmed=False, error=str(error))
        except httpx.HTTPError as error:
            return self._outcome(started, confirmed=False, error=f"{type(error).__name__}: {error}")
        return self._outcome(started, confirmed=True)

    def _outcome(
        self, started: float, *, confirmed: bool, sold_out: bool = False, error: str = ""
    ) -> FlowOutcome:
        return FlowOutcome(
            confirmed=confirmed,
            sold_out=sold_out,
            seconds=time.perf_counter() - started,
            requests=self.requests,
            error=error,
            steps=tuple(self.steps),
        )

    def _walk(self) -> None:
        shop = self.shop_url
        product = self._go("product page", "GET", shop + self.product_path)
        cart = self._submit("add to cart", product, "/cart/add/", {"quantity": str(self.quantity)})
        _raise_if_sold_out(cart)
        address = self._go("checkout", "GET", _link(cart, "/checkout/", step="checkout"))
        shipping = self._submit("address", address, "/checkout/address/", GUEST_DETAILS)
        review = self._submit("shipping", shipping, "/checkout/shipping/")
        _raise_if_sold_out(review)
        processor_page = self._submit("place order", review, "/checkout/pay/")
        if urlsplit(str(processor_page.url)).netloc == urlsplit(shop).netloc:
            _raise_if_sold_out(processor_page)
            raise FlowError("place order", f"stayed on the shop at {processor_page.url}")
        payment_path = urlsplit(str(processor_page.url)).path
        done = self._submit(
            "pay on the processor's page", processor_page, payment_path, APPROVED_CARD
        )
        if "/checkout/done/" not in str(done.url):
            _raise_if_sold_out(done)
            raise FlowError("return", f"ended on {done.url}, not the confirmation page")
        if "ending in 4242" not in done.text:
            raise FlowError("confirmation", "the page does not show the card's last four")


def _link(page: httpx.Response, path: str, *, step: str) -> str:
    """The address of the page's first link to ``path`` (as a person clicks it)."""
    marker = f'href="{path}"'
    if marker not in page.text:
        raise FlowError(step, f"no link to {path} on {page.url}")
    return urljoin(str(page.url), path)


def _raise_if_sold_out(page: httpx.Response) -> None:
    if any(sign in page.text for sign in SOLD_OUT_SIGNS):
        raise SoldOut


def _raise_for_sold_out(page: httpx.Response) -> None:
    if page.status_code < 500:
        _raise_if_sold_out(page)


# ---------------------------------------------------------------- many buyers at once
@dataclass
class PhaseResult:
    """What one phase measured: every finished flow, over the phase's wall seconds."""

    buyers: int
    seconds: float
    outcomes: list[FlowOutcome]

    @property
    def confirmed(self) -> int:
        return sum(o.confirmed for o in self.outcomes)

    @property
    def sold_out(self) -> int:
        return sum(o.sold_out for o in self.outcomes)

    @property
    def errors(self) -> list[str]:
        return [o.error for o in self.outcomes if o.error]

    @property
    def per_second(self) -> float:
        return self.confirmed / self.seconds if self.seconds else 0.0

    def percentile_ms(self, share: float) -> float:
        """The ``share`` percentile (0-100) of the confirmed flows' whole time, in ms."""
        times = sorted(o.seconds for o in self.outcomes if o.confirmed)
        if not times:
            return 0.0
        index = min(len(times) - 1, max(0, round(share / 100 * len(times) + 0.5) - 1))
        return times[index] * 1000

    @property
    def requests_per_flow(self) -> float:
        counted = [o.requests for o in self.outcomes if o.confirmed]
        return statistics.mean(counted) if counted else 0.0

    def step_ms(self) -> dict[str, float]:
        """Median milliseconds of each step over the confirmed flows: the slow steps."""
        per_step: dict[str, list[float]] = {}
        for outcome in self.outcomes:
            if outcome.confirmed:
                for name, seconds in outcome.steps:
                    per_step.setdefault(name, []).append(seconds * 1000)
        return {name: statistics.median(values) for name, values in per_step.items()}


def run_phase(
    make_flow: Callable[[int], Callable[[], FlowOutcome]],
    *,
    buyers: int,
    seconds: float | None = None,
    flows_each: int | None = None,
) -> PhaseResult:
    """Run ``buyers`` threads at once, each calling its flow (``make_flow(index)``) again and
    again: until ``seconds`` have passed (a flow under way is finished and counted), or
    ``flows_each`` times. The threads start together, behind a barrier."""
    if (seconds is None) == (flows_each is None):
        raise ValueError("give either seconds or flows_each")
    flows = [make_flow(index) for index in range(buyers)]
    outcomes: list[FlowOutcome] = []
    lock = threading.Lock()
    barrier = threading.Barrier(buyers + 1)
    deadline = [0.0]

    def work(flow: Callable[[], FlowOutcome]) -> None:
        barrier.wait()
        done = 0
        while (flows_each is None or done < flows_each) and (
            seconds is None or time.perf_counter() < deadline[0]
        ):
            outcome = flow()
            done += 1
            with lock:
                outcomes.append(outcome)

    threads = [
        threading.Thread(target=work, args=(flow,), name=f"buyer-{i}", daemon=True)
        for i, flow in enumerate(flows)
    ]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline[0] = started + (seconds or 0)
    barrier.wait()
    for thread in threads:
        thread.join()
    return PhaseResult(buyers=buyers, seconds=time.perf_counter() - started, outcomes=outcomes)


def buyer_flow(buyer: Buyer) -> Callable[[], FlowOutcome]:
    """A flow that makes ``buyer`` a new guest each time, then buys."""

    def flow() -> FlowOutcome:
        buyer.new_browser()
        return buyer.buy()

    return flow


def bare_flow(client: httpx.Client, url: str, requests: int) -> Callable[[], FlowOutcome]:
    """The baseline's flow: ``requests`` GETs of the bare page, one after another."""

    def flow() -> FlowOutcome:
        started = time.perf_counter()
        for done in range(requests):
            try:
                response = client.get(url)
            except httpx.HTTPError as error:
                return FlowOutcome(False, False, time.perf_counter() - started, done, str(error))
            if response.status_code != 200:
                return FlowOutcome(
                    False,
                    False,
                    time.perf_counter() - started,
                    done + 1,
                    f"bare page: {response.status_code}",
                )
        return FlowOutcome(True, False, time.perf_counter() - started, requests)

    return flow
