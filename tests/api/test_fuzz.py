"""The agents' API fuzzed from its own OpenAPI schema with Schemathesis: whatever an agent
sends, with its own function's token or another's, the answer is never a 5xx."""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings as hypothesis_settings

from bungu.api.api import api
from bungu.api.endpoints import catalogue
from bungu.api.models import AgentToken
from tests.accounts.factories import CustomerFactory
from tests.orders.factories import place_test_order

from .factories import bearer, token_for

# The router's tag -> the function whose token it takes.
FUNCTION_OF_TAG = {
    "delivery": "delivery",
    "fulfilment": "fulfilment",
    "e-mail delivery": "mail_delivery",
    "analysis": "analysis",
    "search": "search",
}


def in_the_test_transaction(app: Any) -> Any:
    """The shop as a WSGI app that leaves the test's database connection open at the end of
    each request, as Django's test client does (the test's transaction holds the data)."""

    def call(environ: dict[str, Any], start_response: Any) -> Any:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return list(app(environ, start_response))
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    return call


# The schema the shop serves at /api/v1/openapi.json, read without a request (collection
# runs before the test database exists); the cases are sent to the shop's own WSGI app.
schema = schemathesis.openapi.from_dict(
    json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), cls=DjangoJSONEncoder))
)
schema.app = in_the_test_transaction(get_wsgi_application())


@pytest.fixture
def tokens(db, gateway) -> dict[str, str]:
    place_test_order(customer=CustomerFactory(), gateway=gateway)
    return {function: token_for(function) for function in FUNCTION_OF_TAG.values()}


@schema.parametrize()
@hypothesis_settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_request_makes_the_api_fail(case: Any, tokens: dict[str, str]) -> None:
    function = FUNCTION_OF_TAG[case.operation.tags[0]]

    # The generated headers may carry a generated Authorization: each call sends a real one.
    headers = dict(case.headers or {})
    case.headers = {**headers, **bearer(tokens[function])}
    own = case.call()
    case.headers = {**headers, **bearer(tokens["search" if function != "search" else "analysis"])}
    other = case.call()

    assert own.status_code < 500, (case.method, case.path, own.text)
    # Another function's token never succeeds (a method the path lacks answers 405 first).
    assert other.status_code in {403, 405, 429}, (case.method, case.path, other.text)
    assert AgentToken.objects.count() == len(FUNCTION_OF_TAG)


def test_the_fuzzed_schema_is_the_one_the_shop_serves(client) -> None:
    served = client.get("/api/v1/openapi.json").json()

    assert set(served["paths"]) == set(schema.raw_schema["paths"])


def test_the_fuzz_sees_a_planted_failure(tokens: dict[str, str], monkeypatch) -> None:
    """Positive control: a bug behind an endpoint reaches the fuzz as a 5xx."""

    def broken(sku: object) -> str:
        raise RuntimeError("planted")

    monkeypatch.setattr(catalogue, "variant_of", broken)
    case = schema["/api/v1/search/catalogue"]["GET"].Case(query={"page": 1})
    case.headers = bearer(tokens["search"])

    assert case.call().status_code == 500
