"""The yardstick `make bench` measures the shop's pages against.

Mounted by ``bungu.urls`` only when ``BUNGU_BENCH_BASELINE`` is on (refused in production), it
answers through the very same middleware and settings as the real pages, so the ratio of a
page's throughput to this one's shows what the page itself costs on that machine and day.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


urlpatterns = [path("bare/", bare, name="bench-bare")]
