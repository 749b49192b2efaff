"""How long the real-browser tests wait, written once.

Playwright's ``expect`` gives up after 5 s by default and an action after 30 s. On a busy
two-core CI machine one step through the live server and the sandbox processor (pay, come
back, render the confirmation) can take longer than 5 s with nothing wrong. A longer wait
only delays the report of a real failure; it hides none, as every wait is for a condition.
"""

from __future__ import annotations

# An action, a navigation or an ``expect`` on a page.
BROWSER_TIMEOUT_MS = 20_000
# A message at the SMTP test server, a webhook at the shop: sent after a commit, by another
# thread or process.
MAIL_SECONDS = 30.0
WEBHOOK_SECONDS = 60.0
