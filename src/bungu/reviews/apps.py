from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "bungu.reviews"
    verbose_name = "Reviews"
