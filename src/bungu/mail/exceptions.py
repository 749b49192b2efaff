class MailError(Exception):
    """Base class of the mail app's errors."""


class UnknownMailKind(MailError, ValueError):  # noqa: N818  # domain nouns (style.md)
    """A kind of mail that no category covers."""


class InvalidAddress(MailError, ValueError):  # noqa: N818  # domain nouns (style.md)
    """A recipient address that is not an e-mail address."""


class UnsupportedMessage(MailError, ValueError):  # noqa: N818  # domain nouns (style.md)
    """A message the outbox cannot keep (attachments)."""


class BadUnsubscribeLink(MailError):  # noqa: N818  # domain nouns (style.md)
    """An unsubscribe link that was altered, has expired, or names no customer."""
