from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "agreements"

urlpatterns = [
    path("verify/", views.verify, name="verify"),
    # The signed-in lookup of earlier releases: the public page now answers for everyone.
    path(
        "agreements/verify/",
        RedirectView.as_view(pattern_name="agreements:verify", query_string=True),
        name="verify_code",
    ),
    path("follow-up/", views.follow_up_list, name="follow_up_list"),
    path("cases/<int:pk>/agreements/new/", views.agreement_new, name="new"),
    path("cases/<int:pk>/agreements/<int:agreement_pk>/", views.agreement_detail, name="detail"),
    path("cases/<int:pk>/agreements/<int:agreement_pk>/terms/new/", views.term_new, name="term_new"),
    path("cases/<int:pk>/agreements/<int:agreement_pk>/terms/<int:term_pk>/", views.term_edit, name="term_edit"),
    path(
        "cases/<int:pk>/agreements/<int:agreement_pk>/terms/<int:term_pk>/remove/",
        views.term_remove,
        name="term_remove",
    ),
    path("cases/<int:pk>/agreements/<int:agreement_pk>/send/", views.agreement_send, name="send"),
    path("cases/<int:pk>/agreements/<int:agreement_pk>/redraft/", views.agreement_redraft, name="redraft"),
    path("cases/<int:pk>/agreements/<int:agreement_pk>/preview.pdf", views.agreement_preview_pdf, name="preview_pdf"),
    path("cases/<int:pk>/agreements/<int:agreement_pk>/signed.pdf", views.agreement_signed_pdf, name="pdf"),
    path("cases/<int:pk>/agreements/<int:agreement_pk>/sign/<slug:signer_key>/", views.sign, name="sign"),
    path("cases/<int:pk>/agreements/<int:agreement_pk>/amend/", views.amend, name="amend"),
    path("cases/<int:pk>/agreements/<int:agreement_pk>/verify/", views.verify_copy, name="verify_copy"),
    path("cases/<int:pk>/agreements/<int:agreement_pk>/follow-up/", views.follow_up_page, name="follow_up"),
    path(
        "cases/<int:pk>/agreements/<int:agreement_pk>/follow-up/record/<slug:record>/",
        views.follow_up_record,
        name="follow_up_record",
    ),
    path(
        "cases/<int:pk>/agreements/<int:agreement_pk>/follow-up/contact/",
        views.follow_up_contact,
        name="follow_up_contact",
    ),
    path("cases/<int:pk>/agreements/<int:agreement_pk>/consent/", views.sharing_consent, name="sharing_consent"),
    path("cases/<int:pk>/progress-report/", views.progress_report, name="progress_report"),
    path("cases/<int:pk>/parties/<int:party_pk>/minimise/", views.party_minimise, name="party_minimise"),
    path("updates/stop/<str:token>/", views.updates_stop, name="updates_stop"),
    path("cases/<int:pk>/return/", views.return_to_source, name="return"),
    path("cases/<int:pk>/letters/<int:letter_pk>.pdf", views.letter_pdf, name="letter"),
]
