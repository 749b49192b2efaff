from django.conf import settings
from django.http import HttpRequest

from bungu.catalog.services import list_top_categories


def shop(request: HttpRequest) -> dict[str, object]:
    """What the layout needs on every page: the shop's name and the top of the category tree."""
    return {
        "shop_name": settings.BUNGU_SHOP_NAME,
        "nav_categories": list_top_categories(),
    }
