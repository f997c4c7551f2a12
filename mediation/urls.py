from django.urls import path

from . import views

app_name = "mediation"

urlpatterns = [
    path("cases/<int:pk>/assign/", views.assign, name="assign"),
    path("cases/<int:pk>/parties/<int:party_pk>/screening/", views.screening, name="screening"),
    path("cases/<int:pk>/parties/<int:party_pk>/contact/", views.contact_add, name="contact_add"),
    path("cases/<int:pk>/meetings/new/", views.meeting_new, name="meeting_new"),
    path("cases/<int:pk>/meetings/plan/", views.meeting_plan, name="meeting_plan"),
    path("cases/<int:pk>/meetings/<int:meeting_pk>/", views.meeting_detail, name="meeting"),
    path("cases/<int:pk>/meetings/<int:meeting_pk>/hold/", views.meeting_hold, name="meeting_hold"),
    path("cases/<int:pk>/meetings/<int:meeting_pk>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("cases/<int:pk>/meetings/<int:meeting_pk>/reschedule/", views.meeting_reschedule, name="meeting_reschedule"),
    path(
        "cases/<int:pk>/meetings/<int:meeting_pk>/interpreter/", views.meeting_interpreter, name="meeting_interpreter"
    ),
    path("cases/<int:pk>/preparation/waive/", views.prep_waive, name="prep_waive"),
    path("cases/<int:pk>/exchanges/new/", views.shuttle_new, name="shuttle_new"),
    path("cases/<int:pk>/mode/", views.mode, name="mode"),
    path("cases/<int:pk>/time/", views.time_log, name="time"),
]
