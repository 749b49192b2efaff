"""The admin keeps the staff's own accounts only (P13).

Customers' accounts, addresses, prior versions and guardian links are not in the admin:
staff read them in the back office, for a purpose, through ``bungu.privacy.access`` and its
log. The list of users here holds staff members only, so the owner can give a member roles
(groups) without any page showing a customer's data; a customer made staff appears here
from then on, as a member.
"""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import User


@admin.register(User)
# The stubs bind Django's UserAdmin to AbstractUser; Bungu's User is built on AbstractBaseUser.
class StaffMemberAdmin(DjangoUserAdmin[User]):  # type: ignore[type-var]
    ordering = ["email"]
    list_display = ["email", "name", "is_active", "is_superuser", "date_joined"]
    list_filter = ["is_active", "is_superuser", "groups"]
    search_fields = ["email", "name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("About", {"fields": ("name",)}),
        ("Roles", {"fields": ("is_active", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ("groups",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).filter(is_staff=True)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # A user added here is a staff member; whether one is a superuser is decided only by
        # `bungu createsuperuser` (README), never on a page.
        if not change:
            obj.is_staff = True
        super().save_model(request, obj, form, change)
