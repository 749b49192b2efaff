"""The log files the shop's servers write (P5): declared with what they hold and how long
they are kept. ``bungu.operations.logs`` writes them without query strings, route secrets or
full addresses; the job in ``jobs.py`` deletes each file when its retention is over."""

from bungu import privacy
from bungu.operations.logs import ACCESS_LOG_PREFIX, APPLICATION_LOG_PREFIX

_PURPOSES = {privacy.Purpose.SECURITY, privacy.Purpose.SERVICE}

LOGS = [
    privacy.LogFile(
        "web server access log",
        pattern=f"{ACCESS_LOG_PREFIX}-*.log",
        categories={
            privacy.DataCategory.IP_ADDRESS,
            privacy.DataCategory.DEVICE,
            privacy.DataCategory.BROWSING_HISTORY,
        },
        purposes=_PURPOSES,
        retention_days=14,
        holds=(
            "each request's time, page (without what follows a '?', and with the secret part "
            "of a link hidden), result, size and duration, the browser's name and the "
            "referring site, a random id of the request and the name of the server that "
            "answered; your address only truncated to its network (the last part of it "
            "removed). The same, whether written as lines of text or of JSON"
        ),
    ),
    privacy.LogFile(
        "application log",
        pattern=f"{APPLICATION_LOG_PREFIX}-*.log",
        categories={privacy.DataCategory.IP_ADDRESS, privacy.DataCategory.BROWSING_HISTORY},
        purposes=_PURPOSES,
        retention_days=30,
        holds=(
            "errors and events of the shop's programs, with the random id of the request "
            "they belong to and the name of the server, which may name a page or a truncated "
            "address, never a full address or a link's secret (as text or JSON alike)"
        ),
    ),
]
