from django.urls import path

from outpost.cases import list_views, views

app_name = "cases"
urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("loads/", views.case_loads, name="loads"),
    path("staff/<int:staff_id>/", views.staff_caseload, name="staff_caseload"),
    path("staff/<int:staff_id>/reassign/", views.reassign, name="reassign"),
    path("figures/", views.figures, name="figures"),
    path("sites/<int:site_id>/clients/<int:client_id>/open/", views.open_case, name="open"),
    path("clients/<int:client_id>/history/", views.history, name="history"),
    path("<int:case_id>/", views.case_detail, name="case"),
    path("<int:case_id>/goals/", views.case_goals, name="goals"),
    path("<int:case_id>/consult/", views.consult, name="consult"),
    path("<int:case_id>/close/", views.close, name="close"),
    path("follow-ups/<int:follow_up_id>/done/", views.follow_up_done, name="follow_up_done"),
    path("lists/", list_views.lists, name="lists"),
    path("lists/goals/new/", list_views.goal_type_new, name="goal_type_new"),
    path("lists/goals/<int:goal_type_id>/", list_views.goal_type_edit, name="goal_type_edit"),
    path("lists/topics/new/", list_views.topic_new, name="topic_new"),
    path("lists/topics/<int:topic_id>/", list_views.topic_edit, name="topic_edit"),
]
