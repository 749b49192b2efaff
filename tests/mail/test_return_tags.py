"""P21: the return tag of a Message-ID sent without the outbox (``bungu.mail.return_tags``):
made for one address, believed for that address only."""

from __future__ import annotations

import re

import pytest

from bungu.mail.return_tags import is_tagged, tagged_message_id, tagged_recipient

STEM = "campaign7.recipient42.bungu"


def _tampered(message_id: str) -> str:
    """The same Message-ID with one letter of its tag changed."""
    head, tag_and_domain = message_id.split(".rt-")
    tag, domain = tag_and_domain.split("@")
    changed = ("b" if tag[5] == "a" else "a").join([tag[:5], tag[6:]])
    return f"{head}.rt-{changed}@{domain}"


def test_p21_a_tagged_message_id_names_its_recipient_in_any_letter_case() -> None:
    message_id = tagged_message_id(stem=STEM, address="Hana@Example.com", domain="bungu.test")

    assert re.fullmatch(r"<campaign7\.recipient42\.bungu\.rt-[a-z2-7]{16}@bungu\.test>", message_id)
    assert is_tagged(message_id)
    assert tagged_recipient(message_id, addresses=["hana@example.com"]) == "hana@example.com"
    # Final-Recipient first, then the original one: either may be the address it was for.
    assert (
        tagged_recipient(message_id, addresses=["alias@example.net", "hana@example.com"])
        == "hana@example.com"
    )


def test_p21_the_same_message_gets_the_same_id_and_another_address_another() -> None:
    # A resend after a crash keeps its Message-ID.
    first = tagged_message_id(stem=STEM, address="hana@example.com", domain="bungu.test")

    assert tagged_message_id(stem=STEM, address="hana@example.com", domain="bungu.test") == first
    assert tagged_message_id(stem=STEM, address="ken@example.com", domain="bungu.test") != first


def test_p21_a_tampered_tag_another_recipient_or_another_stem_is_refused() -> None:
    message_id = tagged_message_id(stem=STEM, address="hana@example.com", domain="bungu.test")
    other_stem = message_id.replace("recipient42", "recipient43")

    assert tagged_recipient(message_id, addresses=["ken@example.com"]) is None
    assert tagged_recipient(_tampered(message_id), addresses=["hana@example.com"]) is None
    assert tagged_recipient(other_stem, addresses=["hana@example.com"]) is None
    assert tagged_recipient(message_id, addresses=[]) is None
    # Positive control: the untouched id verifies.
    assert tagged_recipient(message_id, addresses=["hana@example.com"]) == "hana@example.com"


@pytest.mark.parametrize(
    "message_id",
    ["", "<abcdefgh@bungu.test>", "<campaign1.recipient2.bungu@bungu.test>", "no brackets"],
)
def test_an_untagged_message_id_is_not_tagged_and_names_nobody(message_id: str) -> None:
    assert not is_tagged(message_id)
    assert tagged_recipient(message_id, addresses=["hana@example.com"]) is None


def test_p21_the_tag_is_keyed_by_the_secret_key_and_survives_its_rotation(settings) -> None:
    settings.SECRET_KEY = "the-old-key-" + "x" * 40
    message_id = tagged_message_id(stem=STEM, address="hana@example.com", domain="bungu.test")

    settings.SECRET_KEY = "the-new-key-" + "y" * 40
    settings.SECRET_KEY_FALLBACKS = []
    assert tagged_recipient(message_id, addresses=["hana@example.com"]) is None

    settings.SECRET_KEY_FALLBACKS = ["the-old-key-" + "x" * 40]
    assert tagged_recipient(message_id, addresses=["hana@example.com"]) == "hana@example.com"


@pytest.mark.parametrize(
    ("stem", "domain"),
    [("", "bungu.test"), ("a b", "bungu.test"), ("a..b", "bungu.test"), ("ok", "bad domain")],
)
def test_a_stem_or_domain_a_message_id_cannot_carry_is_refused(stem: str, domain: str) -> None:
    with pytest.raises(ValueError, match="cannot be the"):
        tagged_message_id(stem=stem, address="hana@example.com", domain=domain)


def test_p2_the_tags_never_spell_a_long_run_of_digits() -> None:
    ids = [
        tagged_message_id(
            stem=f"campaign1.recipient{n}.bungu", address=f"c{n}@example.com", domain="bungu.test"
        )
        for n in range(2000)
    ]

    assert not [i for i in ids if re.search(r"\d{12}", i)]
