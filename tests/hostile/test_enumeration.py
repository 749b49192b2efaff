"""Sign-in, sign-up and password reset give the same answer for an address that has an
account and one that has none: the same status, the same page (the typed address and the
CSRF token aside), and the same password-hashing work, which is what would make one
answer measurably slower than the other. Counting the hasher's calls compares that work
without a timing assertion that flakes on a busy machine; the control plants a backend that
skips the hash for an unknown address and expects the comparison to catch it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client

from tests.accounts.factories import PASSWORD, CustomerFactory

KNOWN = "known@example.com"
UNKNOWN = "nobody@example.com"
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    page: str
    hashes: int


@pytest.fixture
def hash_counter(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Records every argon2 hash computed (encode or verify), in order."""
    calls: list[str] = []
    encode, verify = Argon2PasswordHasher.encode, Argon2PasswordHasher.verify

    def counted_encode(self, password, salt):  # type: ignore[no-untyped-def]
        calls.append("encode")
        return encode(self, password, salt)

    def counted_verify(self, password, encoded):  # type: ignore[no-untyped-def]
        calls.append("verify")
        return verify(self, password, encoded)

    monkeypatch.setattr(Argon2PasswordHasher, "encode", counted_encode)
    monkeypatch.setattr(Argon2PasswordHasher, "verify", counted_verify)
    return calls


def answer(hashes: list[str], send: Callable[[Client, str], object], email: str) -> Answer:
    """What a visitor sees, and the hashing done, when ``send`` posts ``email``."""
    client = Client()
    before = len(hashes)
    response = send(client, email)
    done = len(hashes) - before
    location = response.get("Location", "")  # type: ignore[attr-defined]
    shown = client.get(location) if location else response
    page = _TOKEN.sub("", shown.content.decode()).replace(email, "ADDRESS")  # type: ignore[attr-defined]
    return Answer(response.status_code, location, page, done)  # type: ignore[attr-defined]


def sign_in(client: Client, email: str) -> object:
    return client.post("/account/login/", {"login": email, "password": "wrong passphrase 7"})


def sign_up(client: Client, email: str) -> object:
    return client.post(
        "/account/signup/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, "adult": "on"},
    )


def reset_password(client: Client, email: str) -> object:
    return client.post("/account/password/reset/", {"email": email})


@pytest.fixture
def known(db):  # type: ignore[no-untyped-def]
    return CustomerFactory(email=KNOWN, password=PASSWORD)


@pytest.mark.parametrize("send", [sign_in, sign_up, reset_password])
def test_known_and_unknown_addresses_get_the_same_answer(known, hash_counter, send):
    known_answer = answer(hash_counter, send, KNOWN)
    unknown_answer = answer(hash_counter, send, UNKNOWN)

    assert unknown_answer == known_answer
    assert known_answer.status in {200, 302}


def test_every_answer_does_the_hashing_work(known, hash_counter):
    # Signing in: each of the two backends checks (or mitigates) once.
    assert answer(hash_counter, sign_in, KNOWN).hashes == 2
    assert answer(hash_counter, sign_in, UNKNOWN).hashes == 2
    # Signing up: the new account's password, or the same work for a taken address.
    assert answer(hash_counter, sign_up, KNOWN).hashes == 1
    assert answer(hash_counter, sign_up, "new@example.com").hashes == 1


def test_the_comparison_catches_a_sign_in_that_skips_the_hash_for_an_unknown_address(
    known, hash_counter, monkeypatch
):
    from allauth.account.auth_backends import AuthenticationBackend  # noqa: PLC0415

    monkeypatch.setattr(AuthenticationBackend, "_mitigate_timing_attack", lambda self, pw: None)

    known_answer = answer(hash_counter, sign_in, KNOWN)
    unknown_answer = answer(hash_counter, sign_in, UNKNOWN)

    assert (known_answer.hashes, unknown_answer.hashes) == (2, 1)
    assert unknown_answer != known_answer


def test_the_comparison_catches_a_page_that_names_the_unknown_address(known, hash_counter):
    def telling(client: Client, email: str) -> object:
        response = sign_in(client, email)
        if email == UNKNOWN:
            response.content += b"<p>No account uses this address.</p>"  # type: ignore[attr-defined]
        return response

    assert answer(hash_counter, telling, UNKNOWN) != answer(hash_counter, telling, KNOWN)
