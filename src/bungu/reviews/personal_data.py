"""What the reviews app holds about a customer (read by bungu.privacy's data map).

Erasure: a deleted account's reviews are DELETED, not anonymised. A review's text is free
writing that can name or describe its author ("as a left-handed teacher in Osaka..."), so
cutting the link to the account would not make it anonymous; deleting it is the only way to
be sure, and the product's rating summary is recomputed without it (``ERASURE`` below: the
erasure and every replay of its journal delete reviews through ``services.erase_reviews``).
The reports a customer filed go the same way.
"""

from bungu.privacy import (
    DataCategory,
    Erase,
    ErasedBy,
    Field,
    KeptBy,
    NotVersioned,
    Purpose,
    Source,
)

# Reviews are published, so staff answering a customer or a successor business (P15) may
# read them; they serve nothing else.
_REVIEW_PURPOSES = {Purpose.CUSTOMER_SERVICE, Purpose.BUSINESS_TRANSFER}


def _review(name: str, *, source: Source, note: str = "") -> Field:
    return Field(
        f"reviews.Review.{name}",
        category=DataCategory.PUBLIC_CONTENT,
        source=source,
        purposes=_REVIEW_PURPOSES,
        retention_days=None,
        erase=Erase.DELETE,
        note=note,
    )


PERSONAL = [
    _review("product", source=Source.GIVEN, note="Which product the customer reviewed."),
    _review("rating", source=Source.GIVEN),
    _review("body", source=Source.GIVEN, note="Optional (P4, P22): only reviews need it."),
    _review("status", source=Source.AUTOMATIC, note="Set by the shop's moderators."),
    _review("rejection_reason", source=Source.AUTOMATIC, note="Written by a moderator."),
    _review("moderated_at", source=Source.AUTOMATIC),
    _review("flagged", source=Source.AUTOMATIC, note="Whether other customers reported it."),
    _review("created_at", source=Source.AUTOMATIC),
    _review("updated_at", source=Source.AUTOMATIC),
    *(
        Field(
            f"reviews.ReviewReport.{name}",
            category=DataCategory.PRIVATE_CONTENT,
            source=Source.GIVEN if name != "created_at" else Source.AUTOMATIC,
            purposes={Purpose.CUSTOMER_SERVICE, Purpose.BUSINESS_TRANSFER},
            retention_days=None,
            erase=Erase.DELETE,
            note="What a customer told the shop about someone else's review.",
        )
        for name in ("review", "reason", "details", "created_at")
    ),
]

NOT_PERSONAL = [
    # Links to customers: the accounts they point at are mapped by the accounts app.
    "reviews.Review.author",
    "reviews.ReviewReport.reporter",
    # The staff member who moderated: their own account, not data about the author.
    "reviews.Review.moderated_by",
]

# P22: the rating summaries stay true when an erasure, or its replay after a restore,
# deletes reviews.
ERASURE = {"reviews.Review": ErasedBy("bungu.reviews.services.erase_reviews")}

# P20: how the earlier versions of the given data above are kept (privacy.KeepsPriorVersions).
PRIOR_VERSIONS = {
    "reviews.Review": KeptBy("bungu.accounts.versions.keep_prior_version"),
    "reviews.ReviewReport": NotVersioned("A report as it was sent: never edited."),
}
