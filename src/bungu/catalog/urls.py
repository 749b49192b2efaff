from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("c/<path:path>/", views.category, name="category"),
    path("brands/", views.brand_index, name="brands"),
    path("brands/<slug:slug>/", views.brand, name="brand"),
    path("art/<str:code>.svg", views.sku_art, name="sku_art"),
]
