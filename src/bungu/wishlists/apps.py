from django.apps import AppConfig


class WishlistsConfig(AppConfig):
    name = "bungu.wishlists"
    verbose_name = "Wish lists"
