from django.urls import path

from outpost.reports import config_views, dashboard_views, network_views, report_views

app_name = "reports"

urlpatterns = [
    path("", dashboard_views.dashboard, name="dashboard"),
    path("indicators/", report_views.report, name="report"),
    path("indicators/export.<str:fmt>", report_views.export, name="export"),
    path("indicators/print/", report_views.print_view, name="print"),
    path("settings/", config_views.settings_page, name="settings"),
    path("settings/package/", config_views.package, name="package"),
    path("settings/codes/", config_views.codes, name="codes"),
    path("settings/population/", config_views.population, name="population"),
    path("network/", network_views.networks, name="networks"),
    path("network/<slug:slug>/", network_views.network, name="network"),
]
