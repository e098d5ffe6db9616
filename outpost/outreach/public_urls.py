from django.urls import path

from outpost.outreach import public_views

app_name = "public"
urlpatterns = [
    path("<slug:org_slug>/", public_views.where, name="where"),
    path("<slug:org_slug>/json/", public_views.where_json, name="where_json"),
]
