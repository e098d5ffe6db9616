from django.urls import path

from outpost.modes import views

app_name = "modes"
urlpatterns = [
    path("<int:site_id>/", views.site_mode, name="site"),
    path("<int:site_id>/hours/", views.opening_hours, name="hours"),
    path("<int:site_id>/protective-equipment/", views.ppe, name="ppe"),
]
