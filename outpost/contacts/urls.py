from django.urls import path

from outpost.contacts import views

app_name = "contacts"
urlpatterns = [
    path("<int:site_id>/today/", views.today, name="today"),
    path("<int:site_id>/entry/", views.entry, name="entry"),
    path("<int:site_id>/entry/find/", views.find, name="find"),
    path("<int:site_id>/entry/anonymous/", views.anonymous, name="anonymous"),
    path("<int:site_id>/entry/<int:client_id>/", views.visit, name="visit"),
]
