from django.conf import settings
from django.http import HttpRequest

from bungu.catalog.services import list_top_categories


def shop(request: HttpRequest) -> dict[str, object]:
    """What the layout needs on every page: the shop's name, the top of the category tree and
    the page's canonical URL (its address without the query string; pages may override it)."""
    return {
        "shop_name": settings.BUNGU_SHOP_NAME,
        "nav_categories": list_top_categories(),
        "canonical_url": request.build_absolute_uri(request.path),
    }
