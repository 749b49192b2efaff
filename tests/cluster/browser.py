"""A browser for the cluster's checks that can talk to one node at a time.

Through the front (``node=None``) it is an ordinary HTTPS client of nginx. Straight to a node
(``node="b"``) it sends what nginx would add (the public Host, ``X-Forwarded-Proto: https``,
``X-Forwarded-For``), so the node answers as it does behind the front. The cookies are kept
here, one jar for every way in, as a browser's jar is for the shop's one address: a
``Secure`` cookie set through the front goes to a node too, which a standard jar would not
do over the node's plain HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from cluster import Cluster

MAX_REDIRECTS = 8


class Browser:
    def __init__(self, cluster: Cluster, *, timeout: float = 30) -> None:
        self.cluster = cluster
        self.cookies: dict[str, str] = {}
        self._front = httpx.Client(verify=cluster.tls_context(), timeout=timeout)
        self._direct = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._front.close()
        self._direct.close()

    def get(self, path: str, *, node: str | None = None, follow: bool = True) -> httpx.Response:
        return self.request("GET", path, node=node, follow=follow)

    def post(
        self,
        path: str,
        data: Mapping[str, str] | None = None,
        *,
        node: str | None = None,
        files: Any = None,
        follow: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        return self.request(
            "POST", path, node=node, data=data, files=files, follow=follow, headers=headers
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        node: str | None = None,
        data: Mapping[str, str] | None = None,
        files: Any = None,
        follow: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        response = self._one(method, path, node=node, data=data, files=files, extra=headers)
        hops = 0
        while follow and response.is_redirect:
            hops += 1
            if hops > MAX_REDIRECTS:
                raise AssertionError(f"more than {MAX_REDIRECTS} redirects from {path}")
            target = urlsplit(response.headers["location"])
            if target.netloc and target.netloc != self.cluster.host:
                return response  # another site (the processor): the caller goes there
            path = target.path + (f"?{target.query}" if target.query else "")
            response = self._one("GET", path, node=node, data=None, files=None, extra=None)
        return response

    def _one(
        self,
        method: str,
        path: str,
        *,
        node: str | None,
        data: Mapping[str, str] | None,
        files: Any,
        extra: Mapping[str, str] | None,
    ) -> httpx.Response:
        headers: dict[str, str] = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if method != "GET":
            headers["Origin"] = self.cluster.url
            headers["Referer"] = self.cluster.url + path
        if node is None:
            client, url = self._front, self.cluster.url + path
        else:
            client, url = self._direct, self.cluster.node(node).url + path
            headers |= {
                "Host": self.cluster.host,
                "X-Forwarded-Proto": "https",
                "X-Forwarded-For": "127.0.0.1",
            }
        headers |= dict(extra or {})
        response = client.request(method, url, data=data, files=files, headers=headers)
        client.cookies.clear()
        for line in response.headers.get_list("set-cookie"):
            self._keep(line)
        return response

    def _keep(self, line: str) -> None:
        first, _, attributes = line.partition(";")
        name, _, value = first.strip().partition("=")
        lowered = attributes.lower().replace(" ", "")
        if "max-age=0" in lowered or "1970" in lowered:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    def csrf(self, page: httpx.Response) -> str:
        """The CSRF token of the page's forms."""
        marker = 'name="csrfmiddlewaretoken" value="'
        start = page.text.find(marker)
        if start < 0:
            raise AssertionError(f"no CSRF token on {page.url}")
        start += len(marker)
        return page.text[start : page.text.index('"', start)]

    def sign_in_to_admin(self, email: str, password: str, *, node: str | None = None) -> None:
        page = self.get("/admin/login/", node=node)
        answer = self.post(
            "/admin/login/?next=/admin/",
            {
                "csrfmiddlewaretoken": self.csrf(page),
                "username": email,
                "password": password,
                "next": "/admin/",
            },
            node=node,
        )
        if answer.status_code != 200 or "/admin/login/" in str(answer.url):
            raise AssertionError(f"the admin sign-in failed: {answer.status_code} {answer.url}")
