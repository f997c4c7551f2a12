"""Every date a person types is bounded (1900 to 50 years ahead; birth dates not ahead): a clear message,
never a 500 (year 9999 once broke reports, schedules, meetings and the admin)."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.contrib import admin
from django.db import models
from django.test import RequestFactory

from agreements import services as agreements
from agreements.schedule import schedule_problem
from mediation.models import Meeting, Screening
from tests.agreements.helpers import case_in_agreement
from tests.factories import MeetingFactory
from tests.mediation.helpers import TODAY, screen
from vom.core.dates import BoundedDateField, BoundedDateTimeField, BoundedSplitDateTimeField, date_problem, latest
from vom.core.errors import DomainError

OUT_OF_RANGE = "Enter a date between Jan 1, 1900 and"


def test_the_range_is_1900_to_fifty_years_ahead():
    today = datetime.date(2026, 6, 1)
    assert latest(today) == datetime.date(2076, 6, 1)
    assert date_problem(datetime.date(2076, 6, 1), today=today) is None
    assert date_problem(datetime.date(1900, 1, 1), today=today) is None
    assert date_problem(datetime.date(2076, 6, 2), today=today).startswith(OUT_OF_RANGE)
    assert date_problem(datetime.date(1899, 12, 31), today=today).startswith(OUT_OF_RANGE)
    assert date_problem(datetime.date(2026, 6, 2), past_only=True, today=today) == "This date cannot be in the future."


@pytest.mark.django_db
def test_an_outcome_report_ending_in_9999_gets_a_message(client, program, coordinator):
    client.force_login(coordinator)
    for url in ("/reports/outcomes/", "/dashboard/"):
        response = client.get(url, {"program": program.pk, "start": "2026-01-01", "end": "9999-12-31"})
        assert response.status_code == 200
        assert OUT_OF_RANGE in response.content.decode()
    response = client.get("/reports/outcomes.csv", {"program": program.pk, "start": "2026-01-01", "end": "9999-12-31"})
    assert response.status_code == 302  # back to the report, with the message


@pytest.mark.django_db
def test_a_money_term_due_in_9999_is_refused_with_a_message(client, program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator)
    agreement = agreements.agreement_create(case=case, actor=mediator)
    client.force_login(mediator)
    offender = case.parties.get(role="offender")
    response = client.post(
        f"/cases/{case.pk}/agreements/{agreement.pk}/terms/new/",
        {"version": agreement.version, "kind": "money", "responsible": offender.pk, "description": "Repay",
         "amount": "100", "installment_count": 12, "frequency": "monthly", "first_due_date": "9999-12-01"},
    )  # fmt: skip
    assert response.status_code == 200 and OUT_OF_RANGE in response.content.decode()
    assert not agreement.terms.exists()


@pytest.mark.django_db
def test_the_schedule_guard_refuses_a_last_installment_out_of_range(program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator)
    agreement = agreements.agreement_create(case=case, actor=mediator)
    first = latest() - datetime.timedelta(days=30)  # allowed itself; 120 months later is not
    with pytest.raises(DomainError) as refused:
        agreements.term_add(
            agreement=agreement, expected_version=agreement.version, actor=mediator, kind="money",
            responsible=case.parties.get(role="offender"), description="Repay", amount=Decimal("1200"),
            installment_count=120, frequency="monthly", first_due_date=first,
        )  # fmt: skip
    assert "The last installment would be due on a date out of range" in str(refused.value)
    assert schedule_problem(datetime.date(9999, 12, 1), 2, "monthly") is not None  # past the calendar: no crash
    assert schedule_problem(TODAY, 12, "monthly") is None


@pytest.mark.django_db
def test_a_meeting_at_the_end_of_9999_is_refused_with_a_message(client, case, mediator):
    client.force_login(mediator)
    response = client.post(
        f"/cases/{case.pk}/meetings/new/?kind=prep_offender",
        {"kind": "prep_offender", "scheduled_for": "9999-12-31T23:59", "duration_minutes": 60, "location": "Office"},
    )
    assert response.status_code == 200 and OUT_OF_RANGE in response.content.decode()
    assert not Meeting.objects.exists()


@pytest.mark.django_db
def test_the_admin_refuses_a_meeting_in_9999_and_the_pages_stay_up(client, case, mediator, admin_user):
    meeting = MeetingFactory(case=case, created_by=mediator)
    model_admin = admin.site._registry[Meeting]
    request = RequestFactory().get("/")
    request.user = admin_user
    form_class = model_admin.get_form(request, meeting, change=True)
    data = {name: value for name, value in form_class(instance=meeting).initial.items() if value is not None}
    data |= {"scheduled_for_0": "9999-12-31", "scheduled_for_1": "23:59", "case": case.pk, "created_by": mediator.pk,
             "mediators": []}  # fmt: skip
    form = form_class(data, instance=meeting)
    assert not form.is_valid()
    assert OUT_OF_RANGE in " ".join(form.errors["scheduled_for"])
    client.force_login(mediator)
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    assert client.get(f"/cases/{case.pk}/meetings/{meeting.pk}/").status_code == 200


@pytest.mark.django_db
def test_every_date_the_admin_lets_anyone_type_is_bounded(admin_user):
    """Walks every ModelAdmin and inline: a new admin with a plain date field fails here."""
    request = RequestFactory().get("/")
    request.user = admin_user
    unbounded = []
    for model, model_admin in admin.site._registry.items():
        forms_to_check = [("", model_admin.get_form(request, None, change=False))]
        for inline in model_admin.get_inline_instances(request, None):
            forms_to_check.append((f" inline {inline.model.__name__}", inline.get_formset(request, None).form))
        for where, form_class in forms_to_check:
            for name, field in form_class.base_fields.items():
                if isinstance(field, forms.DateField | forms.DateTimeField | forms.SplitDateTimeField) and not (
                    isinstance(field, BoundedDateField | BoundedDateTimeField | BoundedSplitDateTimeField)
                ):
                    unbounded.append(f"{model.__name__}{where}.{name}")
    assert unbounded == [], unbounded


def test_every_date_field_of_the_apps_forms_is_bounded():
    """The app's own forms, model forms included."""
    import agreements.forms
    import cases.forms
    import mediation.forms
    import reports.forms

    unbounded = []
    for module in (cases.forms, mediation.forms, agreements.forms, reports.forms):
        for name, form_class in vars(module).items():
            if not (isinstance(form_class, type) and issubclass(form_class, forms.BaseForm)):
                continue
            fields = getattr(form_class, "base_fields", {})
            for field_name, field in fields.items():
                if isinstance(field, forms.DateField | forms.DateTimeField) and not isinstance(
                    field, BoundedDateField | BoundedDateTimeField
                ):
                    unbounded.append(f"{module.__name__}.{name}.{field_name}")
    assert unbounded == [], unbounded


@pytest.mark.django_db
def test_a_birth_date_ahead_or_before_1900_is_refused_at_intake(client, program, coordinator):
    from tests.factories import ReferralSourceFactory

    source = ReferralSourceFactory(program=program)
    client.force_login(coordinator)
    base = {"case-referral_source": source.pk, "case-referral_date": TODAY.isoformat(),
            "case-referral_type": "diversion", "case-offense_category": "property",
            "case-incident_date": TODAY.isoformat(), "offender-last_name": "Reyes",
            "offender-preferred_language": "en", "victim-kind": "individual", "victim-last_name": "Price",
            "victim-preferred_language": "en"}  # fmt: skip
    ahead = client.post("/cases/new/", base | {"offender-date_of_birth": "2990-01-01"}).content.decode()
    assert "This date cannot be in the future." in ahead
    before = client.post("/cases/new/", base | {"offender-date_of_birth": "1850-01-01"}).content.decode()
    assert OUT_OF_RANGE in before


@pytest.mark.django_db
def test_consent_cannot_be_dated_before_the_referral(case, mediator):
    offender = case.parties.get(role="offender")
    with pytest.raises(DomainError) as refused:
        screen(offender, mediator, consent_given_on=case.referral_date - datetime.timedelta(days=1))
    assert "Consent cannot be before the referral date" in str(refused.value)
    assert not Screening.objects.exists()


def test_model_forms_get_the_bounded_fields_through_one_callback():
    from vom.core.dates import bounded_formfield

    assert isinstance(bounded_formfield(models.DateField(name="on")), BoundedDateField)
    assert isinstance(bounded_formfield(models.DateTimeField(name="at")), BoundedDateTimeField)
    assert type(bounded_formfield(models.CharField(name="x", max_length=3))) is forms.CharField
