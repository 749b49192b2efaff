"""``bungu metrics``: serve this node's Prometheus metrics on ``BUNGU_METRICS_ADDRESS``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bungu.operations.metrics import (
    OFF,
    make_metrics_server,
    metrics_registry,
    parse_metrics_address,
)


class Command(BaseCommand):
    help = (
        "Serve the Prometheus metrics of this node's web workers (run gunicorn with "
        "-c python:bungu.gunicorn_conf) and of the task engine at /metrics on "
        "BUNGU_METRICS_ADDRESS, a loopback or private address; never through the shop's port."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--address", help="HOST:PORT instead of BUNGU_METRICS_ADDRESS")

    def handle(self, *args: Any, **options: Any) -> None:
        text = options["address"] or settings.BUNGU_METRICS_ADDRESS
        if text.strip().lower() == OFF:
            self.stdout.write("Metrics are off (BUNGU_METRICS_ADDRESS=off).")
            return
        try:
            host, port = parse_metrics_address(text)
        except ValueError as error:
            raise CommandError(str(error)) from None
        try:
            server = make_metrics_server(host, port, metrics_registry(settings.BUNGU_METRICS_DIR))
        except OSError as error:
            raise CommandError(f"cannot listen on {text}: {error.strerror}") from None
        self.stdout.write(f"Serving the metrics on http://{text.strip()}/metrics")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
