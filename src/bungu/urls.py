from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.static import serve

admin.site.site_header = f"{settings.BUNGU_SHOP_NAME} back office"
admin.site.site_title = f"{settings.BUNGU_SHOP_NAME} back office"

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("privacy/", include("bungu.privacy.urls")),
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
