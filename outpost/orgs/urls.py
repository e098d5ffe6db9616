from django.urls import path

from outpost.orgs import views

app_name = "orgs"
urlpatterns = [
    path("sites/", views.site_list, name="sites"),
]
