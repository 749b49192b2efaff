"""E-mail: the outbox, delivery over SMTP, customers' choices (P21) and one-click unsubscribe.

Other apps send the shop's own mail with ``bungu.mail.services.send_mail_to`` and ask
``bungu.mail.preferences.may_send``; mail sent through Django's API reaches the outbox by the
EMAIL_BACKEND, its kind named by the X-Bungu-Kind header or ``bungu.mail.kinds.mail_kind``.
"""
