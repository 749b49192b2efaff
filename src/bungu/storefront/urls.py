from django.contrib.sitemaps.views import sitemap
from django.urls import path

from bungu.catalog.caching import cache_catalog_page

from . import account_deletion_views, views
from .sitemaps import SITEMAPS

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
    path("p/<slug:slug>/", views.product, name="product"),
    path("robots.txt", views.robots_txt, name="robots"),
    # The sitemap reads the whole catalogue: cached like any catalogue page.
    path("sitemap.xml", cache_catalog_page(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
    # P22: under the account pages' prefix; here because it calls several apps' services.
    path("account/delete/", account_deletion_views.delete_account, name="delete_account"),
    path(
        "account/delete/cancel/",
        account_deletion_views.cancel_delete_account,
        name="cancel_delete_account",
    ),
]
