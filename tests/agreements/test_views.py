"""Agreement pages through HTTP: forms, uploads, downloads."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agreements.models import Agreement, Signature, Term
from tests.agreements.helpers import PNG_URL, case_in_agreement, draft_with_money, send, sign_all
from tests.mediation.helpers import TODAY


@pytest.fixture
def agreement_case(program, coordinator, mediator):
    return case_in_agreement(program, coordinator, mediator)


@pytest.mark.django_db
def test_drafting_from_the_case_page(client, agreement_case, mediator):
    client.force_login(mediator)
    page = client.get(f"/cases/{agreement_case.pk}/").content.decode()
    assert "Draft the agreement" in page
    response = client.post(f"/cases/{agreement_case.pk}/agreements/new/")
    agreement = Agreement.objects.get()
    assert response["Location"] == f"/cases/{agreement_case.pk}/agreements/{agreement.pk}/"
    again = client.post(f"/cases/{agreement_case.pk}/agreements/new/", follow=True)
    assert "already has an agreement" in again.content.decode()


@pytest.mark.django_db
def test_term_form_adds_a_schedule_and_refuses_a_zero_amount(client, agreement_case, mediator):
    agreement = Agreement.objects.create(case=agreement_case, number=1, created_by=mediator)
    offender = agreement_case.parties.get(role="offender")
    client.force_login(mediator)
    url = f"/cases/{agreement_case.pk}/agreements/{agreement.pk}/terms/new/"
    first_due = (TODAY + datetime.timedelta(days=7)).isoformat()
    base = {"version": agreement.version, "kind": "money", "responsible": offender.pk, "description": "Repay",
            "installment_count": 4, "frequency": "weekly", "first_due_date": first_due}  # fmt: skip
    refused = client.post(url, base | {"amount": "0"})
    assert "The amount must be more than zero." in refused.content.decode()
    assert not Term.objects.exists()
    assert client.post(url, base | {"amount": "250.01"}).status_code == 302
    amounts = [str(a) for a in Term.objects.get().installments.values_list("amount", flat=True)]
    assert amounts == ["62.51", "62.50", "62.50", "62.50"]
    page = client.get(f"/cases/{agreement_case.pk}/agreements/{agreement.pk}/").content.decode()
    assert "$250.01" in page and "$62.51" in page


@pytest.mark.django_db
def test_preview_pdf_is_a_marked_draft(client, agreement_case, mediator):
    agreement = draft_with_money(agreement_case, mediator)
    client.force_login(mediator)
    response = client.get(f"/cases/{agreement_case.pk}/agreements/{agreement.pk}/preview.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_signing_by_drawing_through_the_form(client, agreement_case, mediator):
    agreement = send(draft_with_money(agreement_case, mediator), mediator)
    offender = agreement_case.parties.get(role="offender")
    client.force_login(mediator)
    url = f"/cases/{agreement_case.pk}/agreements/{agreement.pk}/sign/p{offender.pk}/"
    page = client.get(url).content.decode()
    assert "data-signature-pad" in page and "js/signature-pad.js" in page
    response = client.post(url, {"method": "drawn", "drawn": PNG_URL}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.method, signature.ip_address, signature.party) == ("drawn", "203.0.113.9", offender)
    assert signature.image.read().startswith(b"\x89PNG")


@pytest.mark.django_db
def test_an_oversized_or_disguised_scan_is_refused_with_a_message(client, agreement_case, mediator):
    agreement = send(draft_with_money(agreement_case, mediator), mediator)
    offender = agreement_case.parties.get(role="offender")
    client.force_login(mediator)
    url = f"/cases/{agreement_case.pk}/agreements/{agreement.pk}/sign/p{offender.pk}/"
    big = SimpleUploadedFile("copy.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024 + 1), content_type="application/pdf")
    response = client.post(url, {"method": "scanned", "scan": big})
    assert "at most 10 MB is accepted" in response.content.decode()
    disguised = SimpleUploadedFile("../../etc/copy.pdf", b"MZ not a pdf at all", content_type="application/pdf")
    response = client.post(url, {"method": "scanned", "scan": disguised})
    assert "must be a PDF, PNG or JPEG file" in response.content.decode()
    assert not Signature.objects.exists()


@pytest.mark.django_db
def test_the_signed_pdf_is_downloaded_as_stored_and_copies_are_verified(client, agreement_case, mediator):
    agreement = sign_all(send(draft_with_money(agreement_case, mediator), mediator), mediator)
    client.force_login(mediator)
    base = f"/cases/{agreement_case.pk}/agreements/{agreement.pk}"
    response = client.get(f"{base}/signed.pdf")
    stored = b"".join(response.streaming_content)
    with agreement.pdf.open("rb") as handle:
        assert stored == handle.read()
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    ok = client.post(f"{base}/verify/", {"copy": SimpleUploadedFile("mine.pdf", stored)})
    assert "This file is identical to the signed agreement." in ok.content.decode()
    bad = client.post(f"{base}/verify/", {"copy": SimpleUploadedFile("mine.pdf", stored[:-10] + b"tampered!!")})
    assert "does not match the signed agreement" in bad.content.decode()


@pytest.mark.django_db
def test_the_old_signed_in_lookup_now_opens_the_public_page(client, agreement_case, mediator, other_coordinator):
    agreement = sign_all(send(draft_with_money(agreement_case, mediator), mediator), mediator)
    client.force_login(mediator)
    response = client.get("/agreements/verify/", {"code": agreement.verification_code.lower()}, follow=True)
    assert response.redirect_chain == [(f"/verify/?code={agreement.verification_code.lower()}", 302)]
    found = response.content.decode()
    assert "Genuine" in found and agreement_case.number in found
    assert f'href="/cases/{agreement_case.pk}/agreements/{agreement.pk}/"' in found  # the team may open it
    client.force_login(other_coordinator)
    other = client.get("/verify/", {"code": agreement.verification_code}).content.decode()
    assert "Genuine" in other and f"/cases/{agreement_case.pk}/" not in other  # genuine, but not theirs to open


@pytest.mark.django_db
def test_follow_up_page_records_payments_and_refuses_an_overpayment(client, agreement_case, mediator):
    agreement = sign_all(send(draft_with_money(agreement_case, mediator, total="300.00"), mediator), mediator)
    term = agreement.terms.get(kind="money")
    client.force_login(mediator)
    base = f"/cases/{agreement_case.pk}/agreements/{agreement.pk}/follow-up"
    page = client.get(f"{base}/").content.decode()
    assert "Restitution ledger" in page and "On track" in page
    form = {"payment-term": term.pk, "payment-received_on": TODAY.isoformat(), "payment-method": "cash"}
    too_much = client.post(f"{base}/record/payment/", form | {"payment-amount": "300.01"})
    assert "That is more than the balance of $300.00" in too_much.content.decode()
    assert client.post(f"{base}/record/payment/", form | {"payment-amount": "120.00"}).status_code == 302
    page = client.get(f"{base}/").content.decode()
    assert "$180.00" in page  # outstanding
    other_case_term = {"payment-term": 999999, "payment-received_on": TODAY.isoformat(), "payment-method": "cash"}
    assert (
        "Select a valid choice"
        in client.post(f"{base}/record/payment/", other_case_term | {"payment-amount": "1"}).content.decode()
    )


@pytest.mark.django_db
def test_follow_up_page_of_a_completed_case_forwards_the_money_still_held(client, agreement_case, mediator):
    agreement = sign_all(send(draft_with_money(agreement_case, mediator, total="300.00"), mediator), mediator)
    term, apology = agreement.terms.get(kind="money"), agreement.terms.get(kind="apology")
    client.force_login(mediator)
    base = f"/cases/{agreement_case.pk}/agreements/{agreement.pk}/follow-up"
    paid = {"payment-term": term.pk, "payment-received_on": TODAY.isoformat(), "payment-method": "cash",
            "payment-amount": "300.00"}  # fmt: skip
    client.post(f"{base}/record/payment/", paid)
    done = client.post(
        f"{base}/record/check/", {"check-term": apology.pk, "check-on": TODAY.isoformat(), "check-fulfilled": "on"}
    )
    assert done["Location"] == f"/cases/{agreement_case.pk}/"  # closed as completed
    page = client.get(f"{base}/").content.decode()
    assert "Forward money to the victim" in page and "Record a payment" not in page
    assert "Record progress on a term" not in page
    forward = {"disbursement-term": term.pk, "disbursement-paid_on": TODAY.isoformat(),
               "disbursement-method": "transfer", "disbursement-amount": "300.00"}  # fmt: skip
    response = client.post(f"{base}/record/disbursement/", forward, follow=True)
    assert response.redirect_chain == [(f"{base}/", 302)]
    page = response.content.decode()
    assert "Money forwarded to the victim recorded." in page
    assert "The case is closed" not in page  # it was closed before: no second closing message
    assert "Forward money to the victim" not in page  # nothing is held any more
    refused = client.post(f"{base}/record/payment/", paid | {"payment-amount": "1.00"}, follow=True)
    assert "Nothing can be recorded there now." in refused.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("cases", [1, 3])
def test_follow_up_list_puts_who_is_behind_first_in_a_fixed_number_of_queries(
    client, program, coordinator, mediator, cases, django_assert_num_queries
):
    from agreements.models import Installment

    signed = []
    for _ in range(cases):
        case = case_in_agreement(program, coordinator, mediator)
        signed.append(sign_all(send(draft_with_money(case, mediator), mediator), mediator))
    late = signed[-1]
    first = Installment.objects.filter(term__agreement=late).order_by("number").first()
    Installment.objects.filter(pk=first.pk).update(due_date=TODAY - datetime.timedelta(days=3))
    client.force_login(coordinator)
    client.get("/follow-up/")  # the first request after sign-in stamps the session (idle timeout)
    # session, user, the two-factor device that verified the session, memberships (navigation), the
    # summaries older than their agreement (none), the count, the page of agreements with their summaries
    with django_assert_num_queries(7):
        response = client.get("/follow-up/")
    rows = response.context["rows"]
    assert len(rows) == cases
    assert (rows[0]["case_id"], rows[0]["label"]) == (late.case_id, "Overdue")
    # After a change, the stale summaries are computed again in a fixed number of queries: installments,
    # payments, service logs, checks, returned offenders, terms, and one upsert of the summaries.
    for agreement in signed:
        Installment.objects.filter(term__agreement=agreement).last().save()
    with django_assert_num_queries(7 + 7):
        client.get("/follow-up/")


@pytest.mark.django_db
def test_a_followed_case_points_to_its_follow_up_page(client, agreement_case, mediator):
    agreement = sign_all(send(draft_with_money(agreement_case, mediator), mediator), mediator)
    client.force_login(mediator)
    rows = client.get("/my/").context["rows"]
    action = next(row["action"] for row in rows if row["pk"] == agreement_case.pk)
    assert action.url == f"/cases/{agreement_case.pk}/agreements/{agreement.pk}/follow-up/"
    assert action.due_date == agreement.terms.get(kind="money").installments.first().due_date


@pytest.mark.django_db
def test_admin_shows_cases_read_only(client, admin_user, agreement_case):
    client.force_login(admin_user)
    page = client.get(f"/admin/cases/case/{agreement_case.pk}/change/").content.decode()
    assert 'name="_save"' not in page


@pytest.mark.django_db
def test_follow_up_list_is_paged_like_the_caseload(client, program, coordinator, mediator, monkeypatch):
    from agreements import views

    monkeypatch.setattr(views, "FOLLOW_UP_PAGE_SIZE", 2)  # three agreements, two pages
    for _ in range(3):
        case = case_in_agreement(program, coordinator, mediator)
        sign_all(send(draft_with_money(case, mediator), mediator), mediator)
    client.force_login(coordinator)
    first, second = client.get("/follow-up/"), client.get("/follow-up/?page=2")
    assert len(first.context["rows"]) == 2 and len(second.context["rows"]) == 1
    assert "3 in all" in first.content.decode() and "Page 2 of 2" in second.content.decode()


@pytest.mark.django_db
def test_the_dashboards_agreements_behind_open_the_same_agreements_page_by_page(
    client, program, other_program, coordinator, mediator, monkeypatch
):
    """A coordinator of two programs: the figure counts its program, and its link lists exactly those
    agreements, on every page."""
    import html
    import re

    from django.utils import timezone

    from agreements import views
    from agreements.models import Installment
    from reports.dashboard import dashboard
    from reports.periods import Period
    from tests.factories import MembershipFactory

    MembershipFactory(user=coordinator, program=other_program, role="coordinator")
    MembershipFactory(user=mediator, program=other_program, role="mediator")
    for each, late in ((program, True), (program, True), (other_program, True), (program, False)):
        agreement = sign_all(send(draft_with_money(case_in_agreement(each, coordinator, mediator), mediator), mediator),
                             mediator)  # fmt: skip
        if late:
            first = Installment.objects.get(term__agreement=agreement, number=1)
            first.due_date = TODAY - datetime.timedelta(days=3)
            first.save()
    board = dashboard(program, Period(TODAY - datetime.timedelta(days=90), TODAY), timezone.now())
    figure = next(f for f in board.overdue if f.label == "Agreements behind")
    assert figure.value == 2
    monkeypatch.setattr(views, "FOLLOW_UP_PAGE_SIZE", 1)
    client.force_login(coordinator)
    first_page = client.get(figure.url)
    assert first_page.context["page"].paginator.count == 2
    assert [row["status"] for row in first_page.context["rows"]] == ["overdue"]
    following = html.unescape(re.search(r'href="\?([^"]+)" rel="next"', first_page.content.decode()).group(1))
    second_page = client.get(f"/follow-up/?{following}")
    assert (second_page.context["page"].number, second_page.context["page"].paginator.count) == (2, 2)
    assert client.get("/follow-up/?behind=1").context["page"].paginator.count == 3  # both programs
    assert client.get("/follow-up/").context["page"].paginator.count == 4
    nothing = client.get(f"/follow-up/?behind=1&program={other_program.pk + program.pk + 100}")
    assert "No agreement is behind." in nothing.content.decode()


@pytest.mark.django_db
def test_follow_up_buttons_say_what_they_save(client, program, coordinator, mediator):

    case = case_in_agreement(program, coordinator, mediator)
    agreement = draft_with_money(case, mediator)
    sign_all(send(agreement, mediator), mediator)
    client.force_login(mediator)
    page = client.get(f"/cases/{case.pk}/agreements/{agreement.pk}/follow-up/").content.decode()
    buttons = re.findall(r'<button type="submit"[^>]*>([^<]+)</button>', page)
    assert {"Save payment", "Save progress"} <= set(buttons), buttons
    assert "Record progress on a term" in page and "Record a check" not in page
    assert "Save" not in buttons and len(buttons) == len(set(buttons))
