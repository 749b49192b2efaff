"""The privacy app's domain errors."""


class PrivacyError(Exception):
    """Base of the errors below."""


class PurposeNotAllowed(PrivacyError):  # noqa: N818  # domain nouns (style.md)
    """Personal data was asked for a purpose, actor or field that P13 does not allow."""


class AppendOnlyViolation(PrivacyError):  # noqa: N818  # domain nouns (style.md)
    """Something tried to change or delete a ledger or log entry; they are written once."""


class NoticeInForce(PrivacyError):  # noqa: N818  # domain nouns (style.md)
    """A notice that has taken effect is never edited or deleted: publish a new version."""


class NoNoticeInForce(PrivacyError):  # noqa: N818  # domain nouns (style.md)
    """No version of the notice is in force yet, so nothing may be collected or used."""


class UnknownPractice(PrivacyError):  # noqa: N818  # domain nouns (style.md)
    """A consent names a practice the notice does not have."""
