from django.urls import path

from outpost.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:batch_id>/", views.detail, name="detail"),
]
