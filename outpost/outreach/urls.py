from django.urls import path

from outpost.outreach import views

app_name = "outreach"
urlpatterns = [
    path("<int:site_id>/", views.today, name="today"),
    path("units/<int:unit_id>/", views.unit, name="unit"),
    path("stops/<int:stop_id>/shift/", views.shift_start, name="shift_start"),
    path("shifts/<int:shift_id>/", views.shift, name="shift"),
    path("channels/", views.channels, name="channels"),
    path("channels/figures/", views.web_figures, name="web_figures"),
]
