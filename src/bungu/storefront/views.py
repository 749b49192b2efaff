from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from bungu.catalog.caching import cache_catalog_page


@cache_catalog_page
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "storefront/home.html", {})
