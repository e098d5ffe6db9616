from django.urls import path

from outpost.accounts import views

app_name = "accounts"
urlpatterns = [
    path("two-factor/", views.otp_verify, name="otp_verify"),
    path("two-factor/set-up/", views.otp_enrol, name="otp_enrol"),
    path("two-factor/reset/", views.otp_reset, name="otp_reset"),
    path("sessions/", views.session_list, name="sessions"),
    path("sessions/<int:session_id>/end/", views.session_end, name="session_end"),
    path("sessions/end-others/", views.sessions_end_others, name="sessions_end_others"),
    path("staff/", views.staff_list, name="staff"),
    path("staff/<int:membership_id>/role/", views.staff_role, name="staff_role"),
    path("staff/<int:membership_id>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path("staff/<int:membership_id>/reactivate/", views.staff_reactivate, name="staff_reactivate"),
    path(
        "staff/<int:membership_id>/end-sessions/",
        views.staff_end_sessions,
        name="staff_end_sessions",
    ),
]
