"""P12, P17, P18: practices a notice may never declare, refused by the parser itself, so no
confirmation of a less protective version can publish them."""

import pytest

from bungu.privacy import PracticesError, Purpose, parse_practices

from .factories import AFFILIATE_RECOMMENDATIONS, V1_PRACTICES
from .test_practices import practice

AFFILIATE = "personalize.recommendations@affiliate"


def problems_of(text: str) -> list[str]:
    with pytest.raises(PracticesError) as raised:
        parse_practices(text)
    return raised.value.problems


def affiliate_practice(*, theirs: str, choice: str = "opt-out", extra: str = "") -> str:
    """The shop's affiliate practice (order history for recommendations) with the affiliate's
    notice made of ``theirs`` ([[allow.affiliate_notice.allow]] tables)."""
    return f"""
[[allow]]
data = ["user.behavior.purchase_history"]
purpose = "personalize.recommendations"
recipient = "affiliate"
choice = "{choice}"
retention_days = 365
{extra}
[allow.affiliate_notice]
name = "Bungu Paper Co."
{theirs}
"""


def theirs(**fields: object) -> str:
    values = {
        "data": ["user.behavior.purchase_history"],
        "purpose": "personalize.recommendations",
        "recipient": "shop",
        "choice": "opt-out",
        "retention_days": 365,
        **fields,
    }
    return practice(**values).replace("[[allow]]", "[[allow.affiliate_notice.allow]]")


def test_the_published_v1_notice_still_parses() -> None:
    assert len(parse_practices(V1_PRACTICES).practices) == 33


# ---------------------------------------------------------------- P12: never sold
@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"purpose": "sale"}, "purpose 'sale' (sale)"),
        ({"purpose": "marketing.data_sale"}, "purpose 'marketing.data_sale' (sale)"),
        ({"purpose": "marketing.sold_lists"}, "purpose 'marketing.sold_lists' (sold)"),
        ({"purpose": "marketing.list_rental"}, "purpose 'marketing.list_rental' (rental)"),
        ({"purpose": "Data Brokerage"}, "purpose 'Data Brokerage' (brokerage)"),
        ({"recipient": "data_broker"}, "recipient 'data_broker' (broker)"),
        ({"recipient": "buyer"}, "recipient 'buyer' (buyer)"),
        ({"recipient": "agent:reseller"}, "recipient 'agent:reseller'"),
    ],
)
def test_p12_a_sale_like_purpose_or_recipient_is_refused_by_name(
    fields: dict[str, object], named: str
) -> None:
    problems = problems_of(V1_PRACTICES + practice(**fields))

    assert len(problems) == 1, problems
    assert problems[0].startswith("[[allow]] #34: P12: customer information is never sold")
    assert named in problems[0]


def test_p12_a_recipient_that_pays_is_a_sale_whatever_the_purpose_says() -> None:
    text = practice(
        data=["user.behavior.purchase_history"],
        purpose="personalize.recommendations",
        recipient="partner",
        choice="opt-in",
        recipient_pays=True,
    )

    assert problems_of(text) == [
        (
            "[[allow]] #1: P12: customer information is never sold: "
            "personalize.recommendations@partner says the recipient pays or gives something of "
            "value for it (recipient_pays), which is refused"
        )
    ]
    # Saying that it does not pay is allowed (and changes nothing).
    assert parse_practices(text.replace("recipient_pays = true", "recipient_pays = false"))


@pytest.mark.parametrize("purpose", list(Purpose))
def test_p12_no_purpose_of_the_taxonomy_is_sale_like(purpose: Purpose) -> None:
    assert parse_practices(practice(purpose=purpose.value, data=["user.derived"]))


# ---------------------------------------------------------------- P17: a chance to say no
@pytest.mark.parametrize("recipient", ["partner", "affiliate"])
def test_p17_a_third_party_practice_without_a_choice_is_refused(recipient: str) -> None:
    text = practice(
        data=["user.contact.email"],
        purpose="marketing.communications.email",
        recipient=recipient,
        choice="none",
    )

    problems = problems_of(text)

    key = f"marketing.communications.email@{recipient}"
    assert (
        f"[[allow]] #1: P17: {key} gives data to "
        f"{'partner businesses' if recipient == 'partner' else 'affiliated companies'} for "
        "marketing.communications.email, which the shop does not need for its own functions, "
        'so it must offer a choice (choice = "opt-in" or "opt-out"), not "none"'
    ) in problems


@pytest.mark.parametrize("choice", ["opt-in", "opt-out"])
def test_p17_a_partner_practice_with_a_choice_parses(choice: str) -> None:
    parsed = parse_practices(
        practice(purpose="marketing.communications.email", recipient="partner", choice=choice)
    )

    assert parsed.practices[0].choice == choice


def test_p16_a_partner_for_the_shops_own_functions_needs_no_choice() -> None:
    # v1's fraud-protection exchange with partners: essential, no choice (P16).
    fraud = parse_practices(V1_PRACTICES).get("essential.fraud_detection@partner")

    assert fraud is not None
    assert fraud.choice == "none"


# ---------------------------------------------------------------- P18: affiliates
def test_p18_an_affiliate_practice_must_name_the_affiliates_notice() -> None:
    text = practice(
        data=["user.behavior.purchase_history"],
        purpose="personalize.recommendations",
        recipient="affiliate",
    )

    assert problems_of(text) == [
        (
            f"[[allow]] #1: P18: {AFFILIATE} shares data with an affiliate but names no "
            "affiliate_notice: an affiliate gets customer information only if its own practices "
            "are at least as protective, so its notice must be given to compare"
        )
    ]


def test_p18_an_affiliate_as_protective_is_accepted_and_kept_with_the_practice() -> None:
    # The affiliate also keeps e-mail addresses of its own customers for its own marketing:
    # not data it gets from the shop, so not compared.
    text = affiliate_practice(
        theirs=theirs(retention_days=90, choice="opt-in")
        + theirs(data=["user.contact.email"], purpose="marketing.communications.email")
    )

    parsed = parse_practices(V1_PRACTICES + text)

    shared = parsed.get(AFFILIATE)
    assert shared is not None
    assert shared.affiliate_notice is not None
    assert shared.affiliate_notice.name == "Bungu Paper Co."
    assert len(shared.affiliate_notice.practices.practices) == 2
    assert parse_practices(V1_PRACTICES + AFFILIATE_RECOMMENDATIONS).get(AFFILIATE)


@pytest.mark.parametrize(
    ("their_practice", "shortfall"),
    [
        # A use our practice does not allow the affiliate: the same data for its marketing.
        (
            theirs() + theirs(purpose="marketing.communications.email"),
            "new use marketing.communications.email@shop",
        ),
        # Passing it on to a partner of its own.
        (
            theirs() + theirs(recipient="partner"),
            "new use personalize.recommendations@partner",
        ),
        (theirs(choice="none"), "weaker choice personalize.recommendations@shop "),
        (theirs(retention_days=3650), "kept longer personalize.recommendations@shop"),
        (theirs(open_tracking=True), "new activity personalize.recommendations@shop"),
    ],
)
def test_p18_an_affiliate_less_protective_than_our_practice_is_refused(
    their_practice: str, shortfall: str
) -> None:
    problems = problems_of(V1_PRACTICES + affiliate_practice(theirs=their_practice))

    assert problems, problems
    assert all(
        p.startswith(
            f"[[allow]] #34: P18: {AFFILIATE}: Bungu Paper Co.'s notice is less protective "
            "than ours for the data it would receive: "
        )
        for p in problems
    ), problems
    assert any(shortfall in p for p in problems), problems


def test_p18_an_affiliate_notice_that_does_not_parse_is_refused_with_its_problems() -> None:
    problems = problems_of(affiliate_practice(theirs=theirs(purpose="data_sale")))

    assert problems == [
        (
            f"[[allow]] #1: P18: {AFFILIATE}: the affiliate's notice: [[allow]] #1: P12: customer "
            "information is never sold, rented or given away: purpose 'data_sale' (sale) is refused"
        )
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            practice(recipient="affiliate", choice="opt-in").replace(
                'choice = "opt-in"', 'choice = "opt-in"\naffiliate_notice = "theirs.pdf"'
            ),
            "P18: marketing.communications.email@affiliate: affiliate_notice must be a table",
        ),
        (
            affiliate_practice(theirs=theirs()).replace('name = "Bungu Paper Co."', 'name = ""'),
            f"P18: {AFFILIATE}: affiliate_notice: 'name' must name the affiliate",
        ),
        (
            affiliate_practice(theirs=""),
            f"P18: {AFFILIATE}: affiliate_notice: 'allow' must list the affiliate's practices",
        ),
        (
            practice().replace(
                'choice = "opt-out"', 'choice = "opt-out"\n[allow.affiliate_notice]\nname = "X"'
            ),
            "'affiliate_notice' belongs only to a practice of the shop's own notice",
        ),
    ],
)
def test_p18_a_malformed_affiliate_notice_is_refused(text: str, problem: str) -> None:
    problems = problems_of(text)

    assert any(problem in p for p in problems), problems
