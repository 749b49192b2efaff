from django.contrib.sitemaps.views import sitemap
from django.urls import path

from bungu.catalog.caching import cache_catalog_page

from . import views
from .sitemaps import SITEMAPS

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
    path("p/<slug:slug>/", views.product, name="product"),
    path("robots.txt", views.robots_txt, name="robots"),
    # The sitemap reads the whole catalogue: cached like any catalogue page.
    path("sitemap.xml", cache_catalog_page(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
]
