from django.urls import path

from outpost.vault import views

app_name = "vault"
urlpatterns = [
    path("lock/", views.lock, name="lock"),
]
