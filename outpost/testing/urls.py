from django.urls import path

from outpost.testing import views

app_name = "testing"
urlpatterns = [
    path("<int:site_id>/clients/<int:client_id>/", views.client_record, name="client"),
    path("<int:site_id>/clients/<int:client_id>/test/", views.record_test, name="record_test"),
    path(
        "<int:site_id>/clients/<int:client_id>/self-test/",
        views.self_test_result,
        name="self_test_result",
    ),
    path("<int:site_id>/clients/<int:client_id>/refer/", views.refer, name="refer"),
    path("<int:site_id>/clients/<int:client_id>/outcome/", views.outcome, name="outcome"),
    path("<int:site_id>/clients/<int:client_id>/art/", views.art_start, name="art_start"),
    path("<int:site_id>/referrals/", views.referrals_due, name="referrals_due"),
    path(
        "<int:site_id>/referrals/<int:referral_id>/complete/",
        views.referral_complete,
        name="referral_complete",
    ),
    path("<int:site_id>/art/", views.art_due, name="art_due"),
    path("<int:site_id>/art/<int:course_id>/deliver/", views.art_deliver, name="art_deliver"),
    path("<int:site_id>/cascade/", views.cascade, name="cascade"),
]
