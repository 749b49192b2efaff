"""Buyers of the race tests, in a process of their own: ``python -m tests.checkout.buyer 0 4 8``
runs buyers 0, 4 and 8, each in a thread of its own with its own database connection, as a
gunicorn worker with threads serves several customers at once.

A buyer runs the shop's real views (Django's test client, in this process) and pays on the
real sandbox processor's hosted page. The test sends one JSON command a line on standard
input, ``{"who": [0, 8], "command": "place", "args": []}``, which the buyers named do at
the same moment; it reads back one JSON line, each buyer's answer by number:

* ``prepare SKU_ID QUANTITY``: cart, address, shipping method, review -> ``{"ready": true}``
* ``place``: "Place order" -> ``{"payment_id": ...}`` or ``{"told": message}``
* ``pay``: pay on the processor's page and come back -> ``{"order": number}`` or ``{"told": ...}``
* ``quit``

The settings come from the environment (``DATABASE_URL``, ``BUNGU_PROCESSOR_URL`` ...), as
for any process of the shop.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
import threading
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import django

django.setup()

from django.conf import settings  # noqa: E402 - after django.setup()
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from bungu.checkout.models import ShippingMethod  # noqa: E402
from tests.processor import CardProcessor  # noqa: E402

_MESSAGE = re.compile(r'<p class="message message-[a-z ]+">(.*?)</p>', re.S)
_FIELD = re.compile(r'name="(attempt|fingerprint)" value="([^"]*)"')


def _messages(page: str) -> str:
    return " ".join(html.unescape(text).strip() for text in _MESSAGE.findall(page))


class Buyer:
    def __init__(self, number: int) -> None:
        self.number = number
        self.client = Client()
        self.form: dict[str, str] = {}
        self.payment_id = ""
        self.processor = CardProcessor(
            base_url=settings.BUNGU_PROCESSOR_URL,
            api_key="",  # a customer's browser has no API key
            webhook_secrets=[],
            var_dir=Path(),
        )

    def _ok(self, response: Any, *codes: int) -> Any:
        if response.status_code not in codes:
            raise AssertionError(f"{response.status_code}: {response.content[:2000]!r}")
        return response

    def prepare(self, sku_id: str, quantity: str) -> dict[str, Any]:
        self._ok(self.client.post(reverse("cart:add"), {"sku": sku_id, "quantity": quantity}), 302)
        details = {
            "email": f"buyer{self.number}@example.com",
            "recipient": f"Buyer {self.number}",
            "line1": f"{self.number} Market Street",
            "city": "San Francisco",
            "region": "CA",
            "postal_code": "94105",
            "country": "US",
            "adult": "on",
        }
        self._ok(self.client.post(reverse("checkout:address"), details), 302)
        method = ShippingMethod.objects.get(code="standard")
        self._ok(self.client.post(reverse("checkout:shipping"), {"method": method.pk}), 302)
        page = self._ok(self.client.get(reverse("checkout:review")), 200).content.decode()
        self.form = dict(_FIELD.findall(page))
        return {"ready": set(self.form) == {"attempt", "fingerprint"}, "attempt": self.form}

    def place(self) -> dict[str, Any]:
        response = self._ok(self.client.post(reverse("checkout:pay"), self.form), 302)
        location = response["Location"]
        if location.startswith(self.processor.base_url):
            self.payment_id = location.rstrip("/").rsplit("/", 1)[-1]
            return {"payment_id": self.payment_id}
        return {"told": self._follow(location)}

    def pay(self) -> dict[str, Any]:
        answer = self.processor.pay(self.payment_id)
        if answer.status_code != 303:
            return {"processor": answer.status_code}
        back = urlsplit(answer.headers["location"])
        response = self._ok(self.client.get(f"{back.path}?{back.query}"), 302)
        location = response["Location"]
        done = reverse("checkout:done", args=[self.form["attempt"]])
        if location == done:
            page = self._ok(self.client.get(done), 200).content.decode()
            number = re.search(r"\bB[2-9A-Z]{9}\b", page)
            return {"order": number.group(0) if number else "", "told": _messages(page)}
        return {"told": self._follow(location)}

    def _follow(self, location: str) -> str:
        return _messages(self._ok(self.client.get(location), 200).content.decode())


def _act(buyer: Buyer, command: str, arguments: list[str], answers: dict[int, Any]) -> None:
    try:
        answers[buyer.number] = getattr(buyer, command)(*arguments)
    except Exception:  # reported to the test, which fails on it
        answers[buyer.number] = {"error": traceback.format_exc()}
    finally:
        connections.close_all()  # this thread's connection, as at the end of a request


def main() -> None:
    buyers = {int(number): Buyer(int(number)) for number in sys.argv[1:]}
    for line in sys.stdin:
        request = json.loads(line)
        if request["command"] == "quit":
            break
        answers: dict[int, Any] = {}
        threads = [
            threading.Thread(
                target=_act, args=(buyers[number], request["command"], request["args"], answers)
            )
            for number in request["who"]
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sys.stdout.write(json.dumps(answers) + "\n")
        sys.stdout.flush()
    # Skip the interpreter's slow tidying up: several buyer processes end at once.
    os._exit(0)


if __name__ == "__main__":
    main()
