from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("my/", views.my_cases, name="my"),
    path("cases/", views.case_list, name="list"),
    path("cases/export.csv", views.caseload_export, name="export"),
    path("cases/new/", views.intake, name="intake"),
    path("cases/<int:pk>/", views.case_detail, name="detail"),
    path("cases/<int:pk>/edit/", views.case_edit, name="edit"),
    path("cases/<int:pk>/parties/add/", views.party_add, name="party_add"),
    path("cases/<int:pk>/parties/<int:party_pk>/edit/", views.party_edit, name="party_edit"),
    path("cases/<int:pk>/notes/", views.note_add, name="note_add"),
    path("cases/<int:pk>/move/<slug:move>/", views.case_move, name="move"),
    path("cases/<int:pk>/close/", views.case_close, name="close"),
    path("cases/<int:pk>/reopen/", views.case_reopen, name="reopen"),
    path("outcome-checks/", views.outcome_checks, name="outcome_checks"),
    path("sms/inbound/", views.text_inbound, name="text_inbound"),
    path("cases/<int:pk>/outcome-checks/<int:check_pk>/", views.outcome_check_record, name="outcome_check"),
]
