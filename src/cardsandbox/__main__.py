"""``python -m cardsandbox``: migrate the sandbox's own database, then serve it.

gunicorn serves the API and the pages on 127.0.0.1:$PROCESSOR_PORT (8001); this process
runs the webhook delivery loop beside it, and stops gunicorn when it is stopped (Ctrl-C or
SIGTERM).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from types import FrameType


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cardsandbox.settings")
    import django  # noqa: PLC0415 - settings module first
    from django.core.management import call_command  # noqa: PLC0415

    from cardsandbox import settings as conf  # noqa: PLC0415

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    from cardsandbox.webhooks import deliver_forever  # noqa: PLC0415 - after django.setup()

    host = os.environ.get("PROCESSOR_HOST", "127.0.0.1")
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "cardsandbox.wsgi",
            "--bind",
            f"{host}:{conf.PORT}",
            "--workers",
            os.environ.get("CARDSANDBOX_WORKERS", "2"),
            "--threads",
            os.environ.get("CARDSANDBOX_THREADS", "4"),
            "--graceful-timeout",
            "3",
            "--no-control-socket",
            "--log-level",
            "warning",
        ]
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    loop = threading.Thread(target=deliver_forever, args=(stop,), name="webhooks", daemon=True)
    loop.start()
    while not stop.is_set() and server.poll() is None:
        stop.wait(0.5)
    stop.set()
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    loop.join(5)
    sys.exit(server.returncode if server.returncode and server.returncode > 0 else 0)


if __name__ == "__main__":
    main()
