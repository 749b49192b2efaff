import pytest


@pytest.fixture(autouse=True)
def _processor_for_reconciliation(sandbox_gateway):
    """Every run of the shop's jobs includes the payment reconciliation, which asks the card
    processor: the real sandbox process answers it."""
    return sandbox_gateway


@pytest.fixture
def redis_server(tmp_path):
    """A real Redis (Debian's redis-server) on a loopback port, nothing saved; yields the
    port. Skipped where redis-server is not installed (`make cluster` installs it)."""
    import shutil  # noqa: PLC0415 - only this fixture needs them
    import socket  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import time  # noqa: PLC0415

    from .loopback import closed_port  # noqa: PLC0415

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = closed_port()
    process = subprocess.Popen(  # noqa: S603 - Debian's redis-server, our arguments
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise
            time.sleep(0.05)
    yield port
    process.terminate()
    process.wait(10)
