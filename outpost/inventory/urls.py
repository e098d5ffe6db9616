from django.urls import path

from outpost.inventory import movement_views, report_views, views

app_name = "inventory"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("sites/<int:site_id>/", views.site_stock, name="site"),
    path("locations/", views.location_list, name="locations"),
    path("locations/new/", views.location_new, name="location_new"),
    path("locations/<int:location_id>/", views.location_stock, name="location"),
    path("locations/<int:location_id>/edit/", views.location_edit, name="location_edit"),
    path("locations/<int:location_id>/receive/", views.receive, name="receive"),
    path("locations/<int:location_id>/policies/", views.policies, name="policies"),
    path("locations/<int:location_id>/order/", views.order_new, name="order_new"),
    path("orders/", views.order_list, name="orders"),
    path("orders/<int:order_id>/cancel/", views.order_cancel, name="order_cancel"),
    # Movements (movement_views): transfers, kits, adjustments and counts.
    path("transfers/", movement_views.transfers, name="transfers"),
    path(
        "locations/<int:location_id>/transfer/",
        movement_views.transfer_new,
        name="transfer_new",
    ),
    path(
        "transfers/<int:transfer_id>/receive/",
        movement_views.transfer_receive,
        name="transfer_receive",
    ),
    path("locations/<int:location_id>/assemble/", movement_views.assemble, name="assemble"),
    path("locations/<int:location_id>/adjust/", movement_views.adjust, name="adjust"),
    path("locations/<int:location_id>/write-off/", movement_views.write_off, name="write_off"),
    path("locations/<int:location_id>/count/", movement_views.count_start, name="count_start"),
    path("counts/<int:stocktake_id>/", movement_views.count_sheet, name="count_sheet"),
    path(
        "locations/<int:location_id>/counts/",
        movement_views.count_history,
        name="count_history",
    ),
    # The stock report (report_views), on screen and as CSV or XLSX.
    path("report/", report_views.report, name="report"),
]
