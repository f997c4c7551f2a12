from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("reports/outcomes/", views.outcome_report, name="outcomes"),
    path("reports/outcomes.csv", views.outcome_report_csv, name="outcomes_csv"),
    path("reports/outcomes.pdf", views.outcome_report_pdf, name="outcomes_pdf"),
]
