from django.urls import path

from . import views

app_name = "wishlists"

urlpatterns = [
    path("", views.index, name="index"),
    path("save/", views.save_item, name="save"),
    path("shared/<str:token>/", views.shared, name="shared"),
    path("<id:wish_list_id>/", views.detail, name="detail"),
    path("<id:wish_list_id>/rename/", views.rename, name="rename"),
    path("<id:wish_list_id>/delete/", views.delete, name="delete"),
    path("<id:wish_list_id>/share/", views.share, name="share"),
    path("<id:wish_list_id>/unshare/", views.unshare, name="unshare"),
    path("<id:wish_list_id>/items/<id:item_id>/note/", views.edit_note, name="note"),
    path("<id:wish_list_id>/items/<id:item_id>/remove/", views.remove_item, name="remove"),
    path(
        "<id:wish_list_id>/items/<id:item_id>/move-to-cart/",
        views.move_to_cart,
        name="move",
    ),
]
