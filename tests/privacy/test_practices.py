"""A notice's practices: parsing, validation and the comparison of two versions (P25)."""

from dataclasses import dataclass

import pytest

from bungu.privacy import (
    ChangeKind,
    Choice,
    DataCategory,
    PracticesError,
    PracticeSet,
    Purpose,
    compare_notices,
    parse_practices,
)

from .factories import AFFILIATE_KEY, AFFILIATE_RECOMMENDATIONS, V1_PRACTICES


@dataclass
class Version:
    version: int
    practices: str

    @property
    def practice_set(self) -> PracticeSet:
        return parse_practices(self.practices)


def practice(**fields: object) -> str:
    values = {
        "data": ["user.contact.email"],
        "purpose": "marketing.communications.email",
        "recipient": "shop",
        "choice": "opt-out",
        **fields,
    }
    lines = ["[[allow]]"]
    for key, value in values.items():
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, str):
            lines.append(f'{key} = "{value}"')
        elif isinstance(value, list):
            lines.append(f"{key} = [{', '.join(repr(v).replace(chr(39), chr(34)) for v in value)}]")
        else:
            lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


def test_a_practice_is_parsed_into_typed_values() -> None:
    parsed = parse_practices(practice(retention_days=30, open_tracking=True))

    (only,) = parsed.practices
    assert only.data == (DataCategory.EMAIL,)
    assert only.purpose is Purpose.MARKETING_EMAIL
    assert only.choice is Choice.OPT_OUT
    assert (only.retention_days, only.open_tracking, only.enrichment) == (30, True, False)
    assert only.key == "marketing.communications.email@shop"


def test_general_terms_cover_the_ones_below_them() -> None:
    parsed = parse_practices(practice(data=["user.contact"], purpose="marketing"))

    assert parsed.rule_for("user.contact.address", "marketing.communications.postal", "shop")
    assert parsed.rule_for("user.name", "marketing", "shop") is None
    assert parsed.rule_for("user.contact.email", "marketing", "partner") is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("allow = [", "not valid TOML"),
        ("version = 2\n", "unknown top-level key 'version'"),
        (practice(data=["user.shoe_size"]), "unknown data category 'user.shoe_size'"),
        (practice(data=[]), "'data' must be a non-empty list"),
        (practice(purpose="marketing.shoes"), "unknown purpose 'marketing.shoes'"),
        (practice(choice="maybe"), "unknown choice 'maybe'"),
        (practice(recipient="friends"), "unknown recipient 'friends'"),
        (practice(recipient="agent:astrologer"), "unknown agent function 'astrologer'"),
        (practice(retention_days=0), "'retention_days' must be a positive whole number"),
        (practice(retention_days=True), "'retention_days' must be a positive whole number"),
        (practice(open_tracking=1), "'open_tracking' must be true or false"),
        (practice(recipent="shop"), "unknown key 'recipent'"),
        # P13: an agent may receive data only for its function.
        (practice(recipient="agent:delivery"), "agent:delivery may not serve"),
        # P14: withholding identity while sharing a name is a contradiction.
        (
            practice(data=["user.name"], recipient="partner", identity_withheld=True),
            "identity_withheld contradicts sharing identifying data",
        ),
    ],
)
def test_bad_practices_are_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(PracticesError) as raised:
        parse_practices(text)

    assert any(problem in message for message in raised.value.problems), raised.value.problems


def test_two_practices_governing_one_use_are_refused() -> None:
    text = practice(data=["user.contact"]) + practice(data=["user.contact.email"])

    with pytest.raises(PracticesError, match=r"both cover user.contact.email"):
        parse_practices(text)


def test_the_published_v1_practices_are_valid() -> None:
    parsed = parse_practices(V1_PRACTICES)

    assert len(parsed.practices) == 33
    # P14 and P18: v1 gives partners nothing for offers and affiliates nothing at all.
    assert parsed.rule_for("user.name", "marketing.advertising.partner_offers", "partner") is None
    assert not [p for p in parsed.practices if p.recipient == "affiliate"]
    # P7, P8, P9 are declared.
    assert parsed.get("marketing.communications.email@shop").open_tracking
    assert parsed.get("marketing.list_comparison@agent:list_deduplication").list_comparison
    assert parsed.get("marketing.enrichment@shop").enrichment


def kinds(old: str, new: str) -> list[tuple[str, str, bool]]:
    comparison = compare_notices(Version(1, old), Version(2, new))
    return [(c.kind.value, c.practice, c.less_protective) for c in comparison.changes]


def test_p25_a_newly_allowed_use_is_less_protective() -> None:
    comparison = compare_notices(
        Version(1, V1_PRACTICES), Version(2, V1_PRACTICES + AFFILIATE_RECOMMENDATIONS)
    )

    assert comparison.less_protective
    assert [(c.kind, c.practice, c.data) for c in comparison.changes] == [
        (ChangeKind.NEW_USE, AFFILIATE_KEY, (DataCategory.PURCHASE_HISTORY,))
    ]
    assert (comparison.old_version, comparison.new_version) == (1, 2)


def test_p25_dropping_a_use_is_more_protective() -> None:
    comparison = compare_notices(
        Version(2, V1_PRACTICES + AFFILIATE_RECOMMENDATIONS), Version(3, V1_PRACTICES)
    )

    assert not comparison.less_protective
    assert [(c.kind, c.practice) for c in comparison.changes] == [
        (ChangeKind.DROPPED_USE, AFFILIATE_KEY)
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({"choice": "opt-in"}, {"choice": "opt-out"}, ("weaker choice", True)),
        ({"choice": "opt-out"}, {"choice": "none"}, ("weaker choice", True)),
        ({"choice": "none"}, {"choice": "opt-in"}, ("stronger choice", False)),
        ({"retention_days": 30}, {"retention_days": 60}, ("kept longer", True)),
        ({"retention_days": 30}, {}, ("kept longer", True)),
        ({}, {"retention_days": 30}, ("kept for less time", False)),
        ({"open_tracking": False}, {"open_tracking": True}, ("new activity", True)),
        ({"enrichment": True}, {}, ("activity stopped", False)),
    ],
)
def test_p25_each_term_of_a_practice_is_compared(
    old: dict, new: dict, expected: tuple[str, bool]
) -> None:
    key = "marketing.communications.email@shop"
    assert kinds(practice(**old), practice(**new)) == [(expected[0], key, expected[1])]


def test_p14_p25_identity_no_longer_withheld_is_less_protective() -> None:
    old = practice(
        data=["user.derived"],
        recipient="partner",
        purpose="marketing.advertising.partner_offers",
        identity_withheld=True,
    )
    new = practice(
        data=["user.derived"], recipient="partner", purpose="marketing.advertising.partner_offers"
    )

    assert kinds(old, new) == [
        ("identity no longer withheld", "marketing.advertising.partner_offers@partner", True)
    ]
    assert kinds(new, old) == [
        ("identity now withheld", "marketing.advertising.partner_offers@partner", False)
    ]


def test_p25_widening_a_practice_to_a_general_category_reports_what_is_new() -> None:
    changes = compare_notices(
        Version(1, practice(data=["user.contact.email"])),
        Version(2, practice(data=["user.contact"])),
    ).changes

    assert [(c.kind, c.data) for c in changes] == [
        (ChangeKind.NEW_USE, (DataCategory.CONTACT, DataCategory.ADDRESS, DataCategory.PHONE))
    ]
    whole = compare_notices(
        Version(1, practice(data=["user.name"])), Version(2, practice(data=["user.contact"]))
    ).changes
    assert [(c.kind, c.data) for c in whole] == [
        (ChangeKind.NEW_USE, (DataCategory.CONTACT,)),
        (ChangeKind.DROPPED_USE, (DataCategory.NAME,)),
    ]


def test_identical_practices_compare_as_unchanged() -> None:
    comparison = compare_notices(Version(1, V1_PRACTICES), Version(2, V1_PRACTICES))

    assert comparison.changes == ()
    assert not comparison.less_protective
