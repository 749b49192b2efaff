"""Returned messages written for the tests, in the shapes real mail servers send them."""

from __future__ import annotations


def postfix_bounce(*, to: str, message_id: str) -> str:
    """A Postfix non-delivery report (RFC 3464) quoting the whole original message."""
    return f"""\
Return-Path: <>
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: shop@bungu.test
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4C1A2B3F.1733000000/mx.example.net"
Message-Id: <20261204101500.4C1A2B3F@mx.example.net>

This is a MIME-encapsulated message.

--4C1A2B3F.1733000000/mx.example.net
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{to}>: host mail.example.com[192.0.2.10] said: 550 5.1.1
    <{to}>: Recipient address rejected: User unknown in virtual mailbox
    table (in reply to RCPT TO command)

--4C1A2B3F.1733000000/mx.example.net
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
X-Postfix-Queue-ID: 4C1A2B3F
X-Postfix-Sender: rfc822; shop@bungu.test
Arrival-Date: Fri,  4 Dec 2026 10:14:58 +0000 (UTC)

Final-Recipient: rfc822; {to}
Original-Recipient: rfc822;{to}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mail.example.com
Diagnostic-Code: smtp; 550 5.1.1 <{to}>: Recipient address rejected: User
    unknown in virtual mailbox table

--4C1A2B3F.1733000000/mx.example.net
Content-Description: Undelivered Message
Content-Type: message/rfc822

From: Bungu <shop@bungu.test>
To: {to}
Subject: New fountain pens this week
Message-ID: {message_id}
Content-Type: text/plain; charset=utf-8

Dear customer, a private letter that must not be kept.

--4C1A2B3F.1733000000/mx.example.net--
"""


def gmail_bounce(*, to: str, message_id: str) -> str:
    """A Gmail-style report: a multipart/alternative explanation, the status, and only the
    original's headers (text/rfc822-headers)."""
    return f"""\
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: shop@bungu.test
Subject: Delivery Status Notification (Failure)
MIME-Version: 1.0
Content-Type: multipart/report; boundary="000000000000a1b2c3"; report-type=delivery-status

--000000000000a1b2c3
Content-Type: multipart/alternative; boundary="000000000000d4e5f6"

--000000000000d4e5f6
Content-Type: text/plain; charset="UTF-8"

** Address not found **

Your message wasn't delivered to {to} because the address couldn't be found.

--000000000000d4e5f6
Content-Type: text/html; charset="UTF-8"

<p><b>Address not found</b></p>

--000000000000d4e5f6--

--000000000000a1b2c3
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Received-From-MTA: dns; shop@bungu.test
Arrival-Date: Fri, 04 Dec 2026 02:11:10 -0800 (PST)
X-Original-Message-ID: {message_id}

Final-Recipient: rfc822; {to}
Action: failed
Status: 5.1.1
Remote-MTA: dns; gmail-smtp-in.l.google.com. (2607:f8b0:4864:20::1a, the server for the
 domain gmail.com.)
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist.
 Please try double-checking the recipient's email address for typos or unnecessary spaces.
 Learn more at https://support.google.com/mail/?p=NoSuchUser a1si123456 - gsmtp
Last-Attempt-Date: Fri, 04 Dec 2026 02:11:11 -0800 (PST)

--000000000000a1b2c3
Content-Type: text/rfc822-headers

From: Bungu <shop@bungu.test>
To: {to}
Subject: New fountain pens this week
Message-ID: {message_id}
Date: Fri, 04 Dec 2026 10:11:09 +0000

--000000000000a1b2c3--
"""


def delay(*, to: str, message_id: str) -> str:
    """A "still trying" notice: Action delayed, Status 4.4.1."""
    return f"""\
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: shop@bungu.test
Subject: Delayed Mail (still being retried)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="DELAY1"

--DELAY1
Content-Type: text/plain

This is the mail system at host mx.example.net. Still trying.

--DELAY1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; {to}
Action: delayed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to mail.example.com[192.0.2.10]:25: Connection
    timed out
Will-Retry-Until: Tue, 8 Dec 2026 10:14:58 +0000

--DELAY1
Content-Type: text/rfc822-headers

To: {to}
Message-ID: {message_id}

--DELAY1--
"""


def arf_complaint(*, to: str, message_id: str, feedback_type: str = "abuse") -> str:
    """An ARF (RFC 5965) complaint as a mailbox provider's feedback loop sends it; the
    original recipient redacted from the report fields, named by the quoted To."""
    return f"""\
From: Feedback Loop <fbl@mail.example.org>
To: abuse@bungu.test
Subject: FW: New fountain pens this week
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
     boundary="part1_13d.2e68ed54_boundary"

--part1_13d.2e68ed54_boundary
Content-Type: text/plain; charset="US-ASCII"
Content-Transfer-Encoding: 7bit

This is an email abuse report for an email message received from IP
192.0.2.25 on Fri, 4 Dec 2026 10:20:00 +0000.

--part1_13d.2e68ed54_boundary
Content-Type: message/feedback-report

Feedback-Type: {feedback_type}
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <shop@bungu.test>
Arrival-Date: Fri, 4 Dec 2026 10:20:00 +0000
Source-IP: 192.0.2.25
Reported-Domain: bungu.test

--part1_13d.2e68ed54_boundary
Content-Type: message/rfc822
Content-Disposition: inline

From: Bungu <shop@bungu.test>
To: {to}
Subject: New fountain pens this week
Message-ID: {message_id}

Dear customer, a private letter that must not be kept.

--part1_13d.2e68ed54_boundary--
"""


GARBAGE = """\
From: someone@example.org
Subject: Re: your order
Content-Type: text/plain

Thanks, I am away until Monday.
"""

BROKEN_REPORT = """\
From: MAILER-DAEMON@mx.example.net
Content-Type: multipart/report; report-type=delivery-status; boundary="X"

--X
Content-Type: text/plain

no status part here, and the boundary never ends
"""
