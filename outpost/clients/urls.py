from django.urls import path

from outpost.clients import views

app_name = "clients"
urlpatterns = [
    path("new/<int:site_id>/", views.client_register, name="register"),
    path("new/<int:site_id>/preview/", views.code_preview, name="code_preview"),
    path(
        "<int:site_id>/<int:client_id>/contact-details/",
        views.contact_details,
        name="contact_details",
    ),
]
