from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path, register_converter
from django.views.generic import RedirectView
from django.views.static import serve

from bungu.database_ids import DatabaseIdConverter
from bungu.privacy.views import public as privacy_views

# Before the apps' patterns are read: they take database ids as <id:name> (404 on a bad id).
register_converter(DatabaseIdConverter, "id")

admin.site.site_header = f"{settings.BUNGU_SHOP_NAME} back office"
admin.site.site_title = f"{settings.BUNGU_SHOP_NAME} back office"

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("backoffice/campaigns/", include("bungu.marketing.urls")),
    # P14: a partner's report and redeemed codes, by its signed link.
    path("partners/", include("bungu.marketing.partner_urls")),
    path("backoffice/", include("bungu.backoffice.urls")),
    path("privacy/", include("bungu.privacy.urls")),
    # P22: where account deletion used to be; the links in e-mails already sent still work.
    path(
        "account/delete/",
        RedirectView.as_view(pattern_name="privacy:delete_account", permanent=True),
        name="delete_account_moved",
    ),
    path(".well-known/gpc.json", privacy_views.gpc_json, name="gpc_json"),
    # The shop's account pages first: its sessions page stands in for allauth's.
    path("account/", include("bungu.accounts.urls")),
    path("account/", include("allauth.urls")),
    path("mail/", include("bungu.mail.urls")),
    path("wishlists/", include("bungu.wishlists.urls")),
    path("reviews/", include("bungu.reviews.urls")),
    path("cart/", include("bungu.cart.urls")),
    path("checkout/", include("bungu.checkout.urls")),
    path("orders/", include("bungu.orders.urls")),
    # P13: the agents' API, versioned; its schema is /api/v1/openapi.json.
    path("api/v1/", include("bungu.api.urls")),
    path("", include("bungu.catalog.urls")),
    path("", include("bungu.storefront.urls")),
]

if settings.BUNGU_SERVE_MEDIA:
    # Uploaded product photos, served by the shop when no front server does it.
    urlpatterns += [
        re_path(r"^media/(?P<path>.+)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]

if settings.BUNGU_BENCH_BASELINE:
    urlpatterns += [path("__bench__/", include("bungu.bench_baseline"))]
