from django.urls import path

from outpost.catalogue import views

app_name = "catalogue"
urlpatterns = [
    path("", views.index, name="index"),
    path("items/new/", views.item_new, name="item_new"),
    path("items/<int:pk>/", views.item_edit, name="item_edit"),
    path("kits/new/", views.kit_new, name="kit_new"),
    path("kits/<int:pk>/", views.kit_edit, name="kit_edit"),
    path("services/new/", views.service_new, name="service_new"),
    path("services/<int:pk>/", views.service_edit, name="service_edit"),
]
