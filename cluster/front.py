"""The front of the cluster: nginx terminating TLS with a certificate made at start, the
HTTP -> HTTPS redirect, load balancing over the shop's nodes, and the shared media and
collected static files served from disk."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from .processes import HOST, ClusterError, run

NGINX = Path("/usr/sbin/nginx")

_CONFIG = """\
# Written by the cluster supervisor (cluster/front.py) for this run only.
worker_processes 2;
daemon off;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    # P5: the front keeps no query strings (links' tokens) and no full addresses; the
    # shop's own access log on each node is the one the data map declares.
    log_format shop '$time_iso8601 $request_id $status $request_method $uri $upstream_addr '
                    '$request_time';
    access_log {run}/access.log shop;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    client_max_body_size 6m;
    server_tokens off;
    sendfile on;

    upstream shop {{
{servers}
        keepalive 16;
    }}
{extra_upstreams}
    server {{
        listen {host}:{http_port};
        # P1: plain HTTP only ever answers with the way to HTTPS.
        return 301 https://$host:{https_port}$request_uri;
    }}

    server {{
        listen {host}:{https_port} ssl http2;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;

        location /media/ {{
            alias {media}/;
            add_header X-Content-Type-Options nosniff always;
            add_header Strict-Transport-Security "{hsts}" always;
            expires 1d;
        }}
        location /static/ {{
            alias {static}/;
            add_header X-Content-Type-Options nosniff always;
            add_header Strict-Transport-Security "{hsts}" always;
            expires 30d;
        }}
{extra_locations}        # "Place order": its form carries the checkout attempt, the processor's
        # idempotency key, and the order is unique per attempt, so a POST that a dying node
        # took is passed to the next node too (docs/design.md, "The front's passive checks").
        location = /checkout/pay/ {{
{proxy}
            proxy_next_upstream error timeout non_idempotent;
        }}
        location / {{
{proxy}
            # A node that refuses or drops the connection is skipped: GET and HEAD are
            # passed to the next node; any other method only if the dead node never got it.
            proxy_next_upstream error timeout;
        }}
    }}
}}
"""


# Every location that passes requests to the nodes.
_PROXY = """\
            proxy_pass http://shop;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # One id per request, in nginx's log and every node's (operations/request_ids.py).
            proxy_set_header X-Request-ID $request_id;
            proxy_next_upstream_tries 3;
            # Only a quick failure is tried again: never a request a node took 10 s over.
            proxy_next_upstream_timeout 10s;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;"""
# Passive checks (open-source nginx has no active ones): one refused, dropped or timed-out
# connection takes a node out for 5 s, then one request tries it again (it is passed on to
# the next node if the node is still down). A 5xx the shop answers is not a failure of the
# node: the same answer would come from every node (a shared part down).
MAX_FAILS = 1
FAIL_TIMEOUT_SECONDS = 5


def check_installed() -> None:
    if not NGINX.exists():
        raise ClusterError(
            "nginx is not installed: `make cluster` installs Debian's nginx, "
            "or run apt-get install nginx."
        )


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, made for this run."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    run(
        "openssl req",
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "7",
            "-subj",
            f"/CN={HOST}",
            "-addext",
            f"subjectAltName=IP:{HOST},DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        env=dict(os.environ),
        log=directory / "openssl.log",
        timeout=60,
    )
    key.chmod(0o600)
    return cert, key


# An exact path sent to upstreams of its own (the benchmark's trivial "bare" server, so its
# baseline goes through the same TLS and proxying as the shop's pages).
_EXTRA_UPSTREAM = """\
    upstream extra{index} {{
{servers}
        keepalive 16;
    }}
"""
_EXTRA_LOCATION = """\
        location = {path} {{
            proxy_pass http://extra{index};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
"""


def _servers(ports: Sequence[int]) -> str:
    return "\n".join(
        f"        server {HOST}:{port} max_fails={MAX_FAILS} fail_timeout={FAIL_TIMEOUT_SECONDS}s;"
        for port in ports
    )


def write_config(
    directory: Path,
    *,
    http_port: int,
    https_port: int,
    node_ports: Sequence[int],
    cert: Path,
    key: Path,
    media: Path,
    static: Path,
    extra_routes: Mapping[str, Sequence[int]] | None = None,
) -> Path:
    """Write nginx.conf: the shop's nodes behind TLS, and ``extra_routes`` (an exact path:
    the loopback ports that serve it) when given."""
    if not node_ports:
        raise ClusterError("the front needs at least one node")
    directory.mkdir(parents=True, exist_ok=True)
    servers = _servers(node_ports)
    routes = list((extra_routes or {}).items())
    for path, ports in routes:
        if not path.startswith("/") or any(c in path for c in " ;{}\"'\n") or not ports:
            raise ClusterError(f"an extra route needs a plain path and ports, not {path!r}")
    config = directory / "nginx.conf"
    config.write_text(
        _CONFIG.format(
            run=directory,
            servers=servers,
            proxy=_PROXY,
            host=HOST,
            http_port=http_port,
            https_port=https_port,
            cert=cert,
            key=key,
            media=media,
            static=static,
            hsts="max-age=63072000; includeSubDomains; preload",
            extra_upstreams="".join(
                _EXTRA_UPSTREAM.format(index=i, servers=_servers(ports))
                for i, (_path, ports) in enumerate(routes)
            ),
            extra_locations="".join(
                _EXTRA_LOCATION.format(index=i, path=path)
                for i, (path, _ports) in enumerate(routes)
            ),
        )
    )
    return config


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (nginx's workers), from Linux's /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def reload(master: int, *, timeout: float = 30) -> None:
    """Make the running nginx (its master's pid) read its configuration again, and return
    once every worker of the old configuration has left, so new connections see the new one.
    Raises ClusterError when they do not leave in ``timeout`` seconds."""
    old = _children(master)
    os.kill(master, signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = _children(master)
        if not current & old and current:
            return
        time.sleep(0.1)
    raise ClusterError(f"nginx did not reload within {timeout:g} s; its error.log says why")


def command(config: Path) -> list[str]:
    return [str(NGINX), "-c", str(config), "-e", str(config.parent / "error.log")]
