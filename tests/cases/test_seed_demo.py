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
    """The same seed and day give the same cases and people (each case comes from its index alone)."""
    from datetime import date

    from cases.demo import DEMO_PROGRAM_SLUG, _build_case
    from cases.models import Program, ReferralSource

    seed()
    program = Program.objects.get(slug=DEMO_PROGRAM_SLUG)
    sources = {s.name: s for s in ReferralSource.objects.filter(program=program)}
    mediators = list(User.objects.filter(memberships__role="mediator").order_by("username"))

    def describe(index):
        case, parties = _build_case(index, 40, 2026, date(2026, 11, 26), program, sources, mediators)
        people = [(p.first_name, p.last_name, p.organisation_name, p.date_of_birth, role) for p, role, *_ in parties]
        return (case.stage, case.referral_date, case.offense_description, case.lead_mediator_id, people)

    assert [describe(i) for i in range(40)] == [describe(i) for i in range(40)]
    assert describe(3) != describe(4)


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
