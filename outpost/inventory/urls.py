from django.urls import path

from outpost.inventory import views

app_name = "inventory"
urlpatterns = [
    path("<int:site_id>/", views.location_stock, name="location"),
    path("<int:site_id>/receive/", views.receive, name="receive"),
]
