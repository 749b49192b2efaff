import pytest
from django.contrib.auth import authenticate, get_user_model
from django.db import IntegrityError, transaction

pytestmark = pytest.mark.django_db

User = get_user_model()


def test_customers_sign_in_with_their_email_address() -> None:
    User.objects.create_user("Hana@Example.com", password="a long passphrase")

    assert authenticate(email="hana@example.com", password="a long passphrase") is not None
    assert authenticate(email="hana@example.com", password="wrong passphrase") is None


def test_the_same_address_in_another_case_is_refused() -> None:
    User.objects.create_user("hana@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("HANA@example.com")
    assert User.objects.count() == 1


def test_an_address_is_required() -> None:
    with pytest.raises(ValueError, match="e-mail address is required"):
        User.objects.create_user("")
    assert User.objects.count() == 0


def test_passwords_are_hashed_with_argon2() -> None:
    user = User.objects.create_user("ken@example.com", password="a long passphrase")

    assert user.password.startswith("argon2$")
