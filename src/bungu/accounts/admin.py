from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from .models import Address, GuardianLink, PriorVersion, User


@admin.register(User)
# The stubs bind Django's UserAdmin to AbstractUser; Bungu's User is built on AbstractBaseUser.
class UserAdmin(DjangoUserAdmin[User]):  # type: ignore[type-var]
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("About", {"fields": ("name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined", "adult_declared_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ("groups",)
    readonly_fields = ("adult_declared_at",)


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin[Address]):
    list_display = ["customer", "label", "city", "country", "is_default_shipping"]
    search_fields = ["customer__email", "recipient", "postal_code"]
    raw_id_fields = ["customer"]


@admin.register(PriorVersion)
class PriorVersionAdmin(admin.ModelAdmin[PriorVersion]):
    """Prior versions are a record (P20): readable, never edited."""

    list_display = ["customer", "kind", "change", "changed_at", "changed_by"]
    list_filter = ["kind", "change"]
    search_fields = ["customer__email"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(GuardianLink)
class GuardianLinkAdmin(admin.ModelAdmin[GuardianLink]):
    list_display = ["guardian", "supervised", "invited_email", "approved_at", "ended_at"]
    search_fields = ["guardian__email", "supervised__email", "invited_email"]
    raw_id_fields = ["guardian", "supervised"]
    readonly_fields = ["token_digest", "approved_at", "accepted_at", "created_at"]
