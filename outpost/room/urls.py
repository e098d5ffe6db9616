from django.urls import path

from outpost.room import views

app_name = "room"
urlpatterns = [
    path("<int:site_id>/", views.board, name="board"),
    path("<int:site_id>/check-in/", views.check_in, name="check_in"),
    path(
        "<int:site_id>/sessions/<int:room_session_id>/check-out/",
        views.check_out,
        name="check_out",
    ),
    path("<int:site_id>/waiting/", views.wait, name="wait"),
    path("<int:site_id>/waiting/<int:entry_id>/remove/", views.wait_remove, name="wait_remove"),
    path("<int:site_id>/disinfection/", views.disinfect, name="disinfect"),
    path("<int:site_id>/overdoses/", views.incidents, name="incidents"),
    path("<int:site_id>/overdoses/start/", views.incident_start, name="incident_start"),
    path("<int:site_id>/overdoses/<int:incident_id>/", views.incident, name="incident"),
    path(
        "<int:site_id>/overdoses/<int:incident_id>/report/",
        views.incident_report,
        name="incident_report",
    ),
    path("<int:site_id>/events/", views.events, name="events"),
    path("<int:site_id>/events/new/", views.event_new, name="event_new"),
    path("<int:site_id>/events/<int:event_id>/", views.event, name="event"),
    path("<int:site_id>/continuity/", views.site_continuity, name="continuity"),
]
