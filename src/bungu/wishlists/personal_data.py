"""What the wish lists app holds about a customer (read by bungu.privacy's data map).

A wish list is private content the customer gave us (P4), optional (P22): it is kept while
the account exists and deleted with it. Staff see it only to help the customer.
"""

from bungu.privacy import DataCategory, Erase, Field, KeptBy, Purpose, Source

_PURPOSES = {Purpose.CUSTOMER_SERVICE, Purpose.BUSINESS_TRANSFER}


def _field(
    label: str,
    *,
    source: Source,
    category: DataCategory,
    note: str = "",
    purposes: frozenset[Purpose] | set[Purpose] = _PURPOSES,
) -> Field:
    return Field(
        label,
        category=category,
        source=source,
        purposes=purposes,
        retention_days=None,
        erase=Erase.DELETE,
        note=note,
    )


PERSONAL = [
    _field("wishlists.WishList.name", source=Source.GIVEN, category=DataCategory.PRIVATE_CONTENT),
    _field(
        "wishlists.WishList.share_token",
        source=Source.AUTOMATIC,
        category=DataCategory.ACCOUNT_SETTINGS,
        note="The secret in the share link, while the customer shares the list.",
        # P13: whoever holds the link can open the list, so no staff purpose may read it;
        # it goes with a business transfer only so that shared links keep working.
        purposes={Purpose.BUSINESS_TRANSFER},
    ),
    _field(
        "wishlists.WishList.shared_at",
        source=Source.AUTOMATIC,
        category=DataCategory.ACCOUNT_SETTINGS,
    ),
    _field(
        "wishlists.WishList.created_at",
        source=Source.AUTOMATIC,
        category=DataCategory.PRIVATE_CONTENT,
    ),
    _field(
        "wishlists.WishList.updated_at",
        source=Source.AUTOMATIC,
        category=DataCategory.PRIVATE_CONTENT,
    ),
    _field(
        "wishlists.WishListItem.sku",
        source=Source.GIVEN,
        category=DataCategory.PRIVATE_CONTENT,
        note="What the customer would like.",
    ),
    _field(
        "wishlists.WishListItem.note",
        source=Source.GIVEN,
        category=DataCategory.PRIVATE_CONTENT,
    ),
    _field(
        "wishlists.WishListItem.added_at",
        source=Source.AUTOMATIC,
        category=DataCategory.PRIVATE_CONTENT,
    ),
]

NOT_PERSONAL = [
    # Links: the owner's account is mapped by the accounts app, the list by this one.
    "wishlists.WishList.owner",
    "wishlists.WishListItem.wish_list",
]

# P20: how the earlier versions of the given data above are kept (privacy.KeepsPriorVersions).
PRIOR_VERSIONS = {
    "wishlists.WishList": KeptBy("bungu.accounts.versions.keep_prior_version"),
    "wishlists.WishListItem": KeptBy("bungu.accounts.versions.keep_prior_version"),
}
