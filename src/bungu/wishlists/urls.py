from django.urls import path

from . import views

app_name = "wishlists"

urlpatterns = [
    path("", views.index, name="index"),
    path("save/", views.save_item, name="save"),
    path("shared/<str:token>/", views.shared, name="shared"),
    path("<int:wish_list_id>/", views.detail, name="detail"),
    path("<int:wish_list_id>/rename/", views.rename, name="rename"),
    path("<int:wish_list_id>/delete/", views.delete, name="delete"),
    path("<int:wish_list_id>/share/", views.share, name="share"),
    path("<int:wish_list_id>/unshare/", views.unshare, name="unshare"),
    path("<int:wish_list_id>/items/<int:item_id>/note/", views.edit_note, name="note"),
    path("<int:wish_list_id>/items/<int:item_id>/remove/", views.remove_item, name="remove"),
    path(
        "<int:wish_list_id>/items/<int:item_id>/move-to-cart/",
        views.move_to_cart,
        name="move",
    ),
]
