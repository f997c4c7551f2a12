from io import StringIO

import pytest
from django.core.management import call_command

from cases.models import Case, Membership, Party, Person
from vom.users.models import User


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_creates_program_staff_and_cases_in_every_stage():
    output = seed()
    assert "Cases: 40 created, 40 in all" in output
    for username in ["admin", "coordinator", "mediator", "mediator2", "mediator3"]:
        assert f"  {username} " in output
        assert User.objects.get(username=username).check_password("mediate-2026")
    assert User.objects.get(username="admin").is_superuser
    assert Membership.objects.filter(role="mediator").count() == 3
    assert set(Case.objects.values_list("stage", flat=True)) == set(Case.Stage.values)


@pytest.mark.django_db
def test_seed_is_safe_to_run_twice():
    seed()
    before = (Case.objects.count(), Party.objects.count(), Person.objects.count(), User.objects.count())
    output = seed()
    assert "Cases: 0 created, 40 in all" in output
    assert (
        Case.objects.count(),
        Party.objects.count(),
        Person.objects.count(),
        User.objects.count(),
    ) == before


@pytest.mark.django_db
def test_seed_is_deterministic():
    seed()
    first = list(Case.objects.order_by("number").values_list("number", "stage", "offense_description"))
    Party.objects.update(related_party=None)
    Party.objects.all().delete()
    Case.objects.all().delete()
    Person.objects.all().delete()
    from cases.models import CaseNumberCounter

    CaseNumberCounter.objects.all().delete()
    seed()
    assert (
        list(Case.objects.order_by("number").values_list("number", "stage", "offense_description")) == first
    )


@pytest.mark.django_db
def test_seeded_cases_are_coherent():
    seed("--cases", "300")
    assert Case.objects.count() == 300
    for case in Case.objects.prefetch_related("parties__person", "parties__related_party"):
        roles = [p.role for p in case.parties.all()]
        assert roles.count("offender") == 1
        assert roles.count("victim") == 1
        offender = next(p for p in case.parties.all() if p.role == "offender")
        age_days = (case.incident_date - offender.person.date_of_birth).days
        if age_days < 18 * 365:
            guardian = next(p for p in case.parties.all() if p.role == "guardian")
            assert guardian.related_party == offender
        assert (case.stage == "closed") == bool(case.outcome)
        assert (case.stage == "referred") == (case.lead_mediator_id is None)
        assert case.referral_date >= case.incident_date
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))
