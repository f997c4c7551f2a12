"""Plans as programs write them: equal installments, a fixed amount each period, or dated amounts row by row;
service to the victim counted in hours; a warning when the plan runs past the court date."""

import datetime
from decimal import Decimal

import pytest

from agreements import follow_up, services
from agreements.ledger import case_ledger
from agreements.models import Term
from cases.models import Case
from tests.agreements.helpers import case_in_agreement, send, sign_all
from tests.mediation.helpers import TODAY
from vom.core.errors import DomainError

D = Decimal
SOON = TODAY + datetime.timedelta(days=7)


@pytest.fixture
def draft(program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator)
    return services.agreement_create(case=case, actor=mediator)


def add(draft, mediator, kind="money", **values):
    draft.refresh_from_db()
    offender = draft.case.parties.get(role="offender")
    return services.term_add(agreement=draft, expected_version=draft.version, actor=mediator, kind=kind,
                             responsible=offender, description="Repay the damage.", **values)  # fmt: skip


def plan(term):
    return [(i.due_date, i.amount) for i in term.installments.order_by("number")]


@pytest.mark.django_db
def test_a_fixed_amount_every_two_weeks_until_paid(draft, mediator):
    term = add(draft, mediator, amount=D("250.00"), schedule="fixed", period_amount=D("40.00"), frequency="fortnightly",
               first_due_date=SOON)  # fmt: skip
    amounts = [amount for _, amount in plan(term)]
    assert amounts == [D("40.00")] * 6 + [D("10.00")]
    assert [day for day, _ in plan(term)][1] == SOON + datetime.timedelta(weeks=2)
    assert (term.installment_count, term.due_date) == (7, SOON + datetime.timedelta(weeks=12))


@pytest.mark.django_db
def test_a_custom_schedule_must_add_up_to_the_cent(draft, mediator):
    rows = [(SOON, D("50.00")), (SOON + datetime.timedelta(days=40), D("125.50"))]
    with pytest.raises(DomainError) as refused:
        add(draft, mediator, amount=D("175.49"), schedule="custom", installments=rows)
    assert refused.value.problems == ["The installments add up to 175.50, not the total of 175.49: take off 0.01."]
    term = add(draft, mediator, amount=D("175.50"), schedule="custom", installments=list(reversed(rows)))
    assert plan(term) == rows  # in date order
    with pytest.raises(DomainError, match="same day"):
        add(draft, mediator, amount=D("100.00"), schedule="custom", installments=[(SOON, D("50.00"))] * 2)
    with pytest.raises(DomainError, match="Enter the date and amount"):
        add(draft, mediator, amount=D("100.00"), schedule="custom", installments=[])


@pytest.mark.django_db
@pytest.mark.parametrize(("values", "message"), [
    ({"schedule": "fixed", "period_amount": None}, "Give the amount due each period"),
    ({"schedule": "fixed", "period_amount": D("500.00")}, "cannot be more than the total"),
    ({"schedule": "fixed", "period_amount": D("0.50")}, "more than 120 installments"),
])  # fmt: skip
def test_bad_fixed_schedules_are_refused(draft, mediator, values, message):
    with pytest.raises(DomainError) as refused:
        add(draft, mediator, amount=D("100.00"), frequency="monthly", first_due_date=SOON, **values)
    assert any(message in p for p in refused.value.problems)
    assert not Term.objects.exists()


@pytest.mark.django_db
def test_service_to_the_victim_is_counted_in_verified_hours(draft, mediator, program):
    with pytest.raises(DomainError, match="hours of service to the victim must be more than zero"):
        add(draft, mediator, kind="service", due_date=SOON)
    service = add(draft, mediator, kind="service", hours=D("6"), due_date=SOON)
    assert service.hours == D("6.00") and service.counts_hours
    draft.refresh_from_db()
    signed = sign_all(send(draft, mediator), mediator)
    service = signed.terms.get()
    with pytest.raises(DomainError, match="followed by its payments or hours"):
        follow_up.term_check_record(term=service, actor=mediator, on=TODAY, fulfilled=True)
    follow_up.service_log_record(term=service, actor=mediator, on=TODAY, hours=D("6"), place="Victim's garden",
                                 verified_by="The victim")  # fmt: skip
    assert Case.objects.get(pk=signed.case_id).outcome == "completed"
    ledger = case_ledger(signed.case)
    assert (ledger.hours_agreed, ledger.hours_done, ledger.hours_left) == (D("6.00"), D("6.00"), D("0"))


@pytest.mark.django_db
def test_a_plan_past_the_court_date_is_warned_of_not_refused(draft, mediator, client):
    Case.objects.filter(pk=draft.case_id).update(court_return_date=TODAY + datetime.timedelta(days=20))
    client.force_login(mediator)
    form = {"version": draft.version, "kind": "money", "responsible": draft.case.parties.get(role="offender").pk,
            "description": "Repay", "amount": "300.00", "schedule": "equal", "installment_count": "3",
            "frequency": "monthly", "first_due_date": SOON.isoformat()}  # fmt: skip
    response = client.post(f"/cases/{draft.case_id}/agreements/{draft.pk}/terms/new/", form, follow=True)
    page = response.content.decode()
    assert "Term added." in page and "after the court return date" in page
    assert Term.objects.count() == 1


@pytest.mark.django_db
def test_the_term_form_takes_custom_rows_and_adds_more_without_javascript(draft, mediator, client):
    client.force_login(mediator)
    url = f"/cases/{draft.case_id}/agreements/{draft.pk}/terms/new/"
    page = client.get(url).content.decode()
    assert page.count('name="rows-') >= 12  # six empty rows, a date and an amount each
    base = {"version": draft.version, "kind": "money", "responsible": draft.case.parties.get(role="offender").pk,
            "description": "Repay", "amount": "120.00", "schedule": "custom", "rows-TOTAL_FORMS": "2",
            "rows-INITIAL_FORMS": "0", "rows-0-due_on": SOON.isoformat(), "rows-0-amount": "20.00",
            "rows-1-due_on": (SOON + datetime.timedelta(days=30)).isoformat(), "rows-1-amount": "90.00"}  # fmt: skip
    more = client.post(url, base | {"more_rows": "1"}).content.decode()
    assert more.count("rows-4-due_on") >= 1 and "This field is required" not in more  # three rows more, no errors
    wrong = client.post(url, base).content.decode()
    assert "add 10.00" in wrong and not Term.objects.exists()
    half = client.post(url, base | {"rows-1-amount": ""}).content.decode()
    assert "Give both the date and the amount" in half
    assert client.post(url, base | {"rows-1-amount": "100.00"}).status_code == 302
    term = Term.objects.get()
    assert [a for _, a in plan(term)] == [D("20.00"), D("100.00")] and term.schedule == "custom"


@pytest.mark.django_db
def test_a_draft_term_is_changed_in_place(draft, mediator, client):
    term = add(draft, mediator, amount=D("300.00"), installment_count=3, frequency="monthly", first_due_date=SOON)
    draft.refresh_from_db()
    client.force_login(mediator)
    url = f"/cases/{draft.case_id}/agreements/{draft.pk}/terms/{term.pk}/"
    page = client.get(url).content.decode()
    assert 'value="300.00"' in page and 'name="kind"' not in page  # its kind stays
    form = {"version": draft.version, "responsible": term.responsible_id, "description": "Repay, less",
            "amount": "200.00", "schedule": "fixed", "period_amount": "75.00", "frequency": "monthly",
            "first_due_date": SOON.isoformat()}  # fmt: skip
    assert client.post(url, form).status_code == 302
    term.refresh_from_db()
    assert (term.amount, term.schedule, [a for _, a in plan(term)]) == (
        D("200.00"), "fixed", [D("75.00"), D("75.00"), D("50.00")],
    )  # fmt: skip
    stale = client.post(url, form | {"amount": "100.00"}).content.decode()  # the version moved on
    assert "changed by someone else" in stale


@pytest.mark.django_db
def test_the_term_form_states_each_kinds_rules_and_puts_errors_at_their_fields(draft, mediator, client):
    client.force_login(mediator)
    url = f"/cases/{draft.case_id}/agreements/{draft.pk}/terms/new/"
    page = client.get(url).content.decode()
    assert '<p data-for-kinds="money"><strong>Money:</strong>' in page
    assert '<p data-for-kinds="community service"><strong>Hours:</strong>' in page
    assert '<p data-for-kinds="apology behaviour other"><strong>Letter, commitment or other:</strong>' in page
    form = {"version": draft.version, "kind": "community", "responsible": draft.case.parties.get(role="offender").pk,
            "description": "Help at the food bank", "hours": "0"}  # fmt: skip
    page = client.post(url, form).content.decode()
    summary = page[page.index("There is a problem") : page.index("</div>", page.index("There is a problem"))]
    assert '<a href="#id_hours">Hours: The hours of community service hours must be more than zero.</a>' in summary
    assert '<a href="#id_due_date">Due date: Give the due date.</a>' in summary
    hours_field = page[page.index('<label for="id_hours">') : page.index('<label for="id_due_date">')]
    assert '<p class="error">The hours of community service hours must be more than zero.</p>' in hours_field
    assert not Term.objects.exists()
