"""A stand-alone sandbox card processor: its own process, port and database.

It plays a real processor's test mode for the shop: a server-to-server JSON API
(``/v1/...``, bearer API key, idempotency keys), a hosted payment page on its own origin
(``/pay/<id>``) where the card is typed, outcomes chosen by test cards (``/test-cards``), and
signed webhooks. It shares no code and no database with the shop (an import-linter contract
says so). Card numbers and security codes are typed only here (P1, P2); it keeps only a
token, the brand, the last four digits and the expiry.
"""
