from django.urls import path

from outpost.delivery import courier_views, views

app_name = "delivery"
urlpatterns = [
    path("mine/", courier_views.route, name="route"),
    path("<int:site_id>/", views.order_list, name="orders"),
    path("<int:site_id>/new/", views.order_new, name="order_new"),
    path("orders/<int:delivery_id>/", views.order_detail, name="order"),
]
