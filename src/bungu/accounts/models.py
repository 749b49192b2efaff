"""Customers and staff: the user, the optional profile, the address book, prior versions of
both (P20) and the links between guardians and supervised accounts (P23).

A custom user model from the first migration on, because Django cannot swap it later. It
holds the least the shop needs to know; everything optional lives in the profile.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from bungu.privacy import KeepsPriorVersions, PriorVersionsManager, PriorVersionsQuerySet


class UserManager(BaseUserManager["User"]):
    # P20: update() keeps the earlier e-mail address and name, as save() does (privacy.E007).
    _queryset_class = PriorVersionsQuerySet

    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(KeepsPriorVersions, AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("e-mail address", max_length=254, unique=True)
    name = models.CharField(
        "what we should call you", max_length=150, blank=True, help_text="Optional."
    )
    is_staff = models.BooleanField(
        default=False, help_text="Whether the user can sign in to the back office."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # P23: when the customer stated at sign-up that they are 18 or over. No birth date is
    # asked for; a supervised account (an under-18 invited by a guardian) leaves it empty.
    adult_declared_at = models.DateTimeField(
        "stated 18 or over at", null=True, blank=True, editable=False
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email.split("@", 1)[0]


class Interest(models.TextChoices):
    FOUNTAIN_PENS = "fountain-pens", "Fountain pens"
    GEL_AND_BALLPOINT = "gel-ballpoint", "Gel and ballpoint pens"
    INK = "ink", "Bottled ink"
    PAPER = "paper", "Paper and notebooks"
    PENCILS = "pencils", "Pencils"
    CALLIGRAPHY = "calligraphy", "Brush pens and calligraphy"


class Profile(KeepsPriorVersions):
    """What a customer chose to tell the shop beyond the e-mail address (P4, P22): every field
    is optional, and the profile page says which feature each one serves."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    # Lets the courier or the shop call about a delivery problem.
    phone = models.CharField("phone number", max_length=30, blank=True)
    # Shown back in recommendations: "new inks in the colours you like".
    ink_colours = models.CharField("favourite ink colours", max_length=200, blank=True)
    # Which newsletter topics and recommendations fit (a list of Interest values).
    interests = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PriorVersionsManager()

    def __str__(self) -> str:
        return f"Profile of {self.user}"


# The countries the shop ships to, by ISO 3166-1 code.
SHIPPING_COUNTRIES = [
    ("US", "United States"),
    ("CA", "Canada"),
    ("MX", "Mexico"),
    ("JP", "Japan"),
    ("GB", "United Kingdom"),
    ("IE", "Ireland"),
    ("DE", "Germany"),
    ("FR", "France"),
    ("NL", "Netherlands"),
    ("AU", "Australia"),
    ("NZ", "New Zealand"),
]


# django-stubs builds each queryset's as_manager() type in module order and, inside the import
# cycle with bungu.privacy, may build this one before its base's (so: override, or not).
class AddressQuerySet(PriorVersionsQuerySet["Address"]):  # type: ignore[override,unused-ignore]
    def of(self, customer: User | int) -> AddressQuerySet:
        return self.filter(customer=customer)


class Address(KeepsPriorVersions):
    """One entry of a customer's address book. At most one is the default for shipping."""

    customer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(
        "name for this address", max_length=60, blank=True, help_text='For example "Home".'
    )
    recipient = models.CharField("recipient's name", max_length=150)
    line1 = models.CharField("street address", max_length=200)
    line2 = models.CharField("apartment, suite, building", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField("state, province or prefecture", max_length=100, blank=True)
    postal_code = models.CharField("ZIP or postal code", max_length=20)
    country = models.CharField(max_length=2, choices=SHIPPING_COUNTRIES, default="US")
    phone = models.CharField(
        "phone for the courier", max_length=30, blank=True, help_text="Optional."
    )
    is_default_shipping = models.BooleanField("default shipping address", default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AddressQuerySet.as_manager()

    class Meta:
        ordering = ["-is_default_shipping", "label", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(is_default_shipping=True),
                name="address_one_default_shipping_per_customer",
            )
        ]
        verbose_name_plural = "addresses"

    def __str__(self) -> str:
        return self.label or f"{self.line1}, {self.city}"

    def lines(self) -> list[str]:
        """The address as it goes on a parcel, one line each, empty parts left out."""
        place = " ".join(part for part in (self.city, self.region, self.postal_code) if part)
        parts = [self.recipient, self.line1, self.line2, place, self.get_country_display()]
        return [part for part in parts if part]


class PriorVersion(models.Model):
    """A copy of a customer's record as it was before a change or a deletion (P20): the
    profile and addresses (kept by the account's services), and every other record whose
    given personal data changes (kept by ``accounts.versions`` through the save hook)."""

    class Kind(models.TextChoices):
        PROFILE = "profile", "Profile"
        ADDRESS = "address", "Address"
        ACCOUNT = "account", "E-mail address and name"
        RECORD = "record", "Other record"

    class Change(models.TextChoices):
        CHANGED = "changed", "Changed"
        DELETED = "deleted", "Deleted"

    # The customer the copy is about comes first: the data map follows the first link.
    customer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="prior_versions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The address's id (it may be gone since); empty for the profile.
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    # Which kind of record it copies ("reviews.Review"), for copies kept by the save hook.
    record = models.CharField(max_length=100, blank=True, default="")
    change = models.CharField(max_length=10, choices=Change.choices)
    snapshot = models.JSONField()
    # Who made the change: the customer, or a staff member acting for them.
    changed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["customer", "-changed_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.change} at {self.changed_at:%Y-%m-%d %H:%M}"


class GuardianLinkQuerySet(models.QuerySet["GuardianLink"]):
    def active(self) -> GuardianLinkQuerySet:
        """Links in force: the supervised account exists and the guardian has not ended it."""
        return self.filter(supervised__isnull=False, ended_at__isnull=True)

    def pending(self, *, now: Any = None) -> GuardianLinkQuerySet:
        return self.filter(
            supervised__isnull=True, ended_at__isnull=True, expires_at__gt=now or timezone.now()
        )


class GuardianLink(models.Model):
    """P23: an adult's approval that a person under 18 uses the shop under their supervision.

    The guardian invites the minor's e-mail address and consents in the same step
    (``approved_at``); the minor signs up through the invitation, and the account is
    supervised from then on. The guardian can end the link, which closes the account.
    """

    guardian = models.ForeignKey(User, on_delete=models.CASCADE, related_name="supervised_links")
    supervised = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="guardian_links"
    )
    invited_email = models.EmailField("the young person's e-mail address", max_length=254)
    # Only a digest of the invitation token is kept: the database alone cannot redeem it.
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    # The guardian's consent (P23), given with the invitation.
    approved_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = GuardianLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["supervised"],
                condition=models.Q(ended_at__isnull=True, supervised__isnull=False),
                name="guardianlink_one_active_guardian",
            ),
            models.CheckConstraint(
                condition=~models.Q(guardian=models.F("supervised")),
                name="guardianlink_not_own_guardian",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guardian} supervises {self.supervised or self.invited_email}"

    @property
    def state(self) -> str:
        if self.ended_at:
            return "ended"
        if self.supervised_id:
            return "active"
        if self.expires_at <= timezone.now():
            return "expired"
        return "invited"


class SourcedDetail(models.Model):
    """P9: information about a customer received from another source, one value per row,
    with where it came from: the source, the agreement it came under, when, and the rule of
    the notice that let the shop add it. The customer sees each on "My data" and can correct
    or remove it; the profile and the address book the customer keeps are never overwritten
    by it."""

    class Kind(models.TextChoices):
        INTERESTS = "interests", "Interests"
        ADDRESS = "address", "Postal address"

    customer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sourced_details")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # One of the two, as ``kind`` says: a list of Interest values, or the address's parts.
    interests = models.JSONField("interests", default=list, blank=True)
    postal_address = models.JSONField("postal address", default=dict, blank=True)
    source = models.CharField("from", max_length=100)
    agreement = models.CharField("under the agreement", max_length=200)
    received_at = models.DateTimeField("received", default=timezone.now)
    notice_version = models.PositiveIntegerField("notice version in force when received")
    notice_rule = models.CharField("rule of the notice that allowed it", max_length=300)
    corrected_at = models.DateTimeField("corrected by you", null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "information from another source"
        verbose_name_plural = "information from other sources"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.source}"

    def shown_value(self) -> str:
        """The value as a person reads it."""
        if self.kind == self.Kind.INTERESTS:
            labels = dict(Interest.choices)
            return ", ".join(str(labels.get(code, code)) for code in self.interests)
        parts = ("line1", "line2", "city", "region", "postal_code", "country")
        return ", ".join(str(self.postal_address[p]) for p in parts if self.postal_address.get(p))


class SourcedRemoval(models.Model):
    """P9: the customer removed what a source said about them: that source's later files do
    not add that kind of information again. The value removed is not kept."""

    customer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sourced_removals")
    kind = models.CharField(max_length=10, choices=SourcedDetail.Kind.choices)
    source = models.CharField("from", max_length=100)
    removed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "source"], name="sourced_removal_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.source}: removed"
