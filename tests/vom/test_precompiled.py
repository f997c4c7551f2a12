import pytest

from cases.models import Case, Membership, Party
from cases.selectors import case_journal, case_page_parties_query
from tests.factories import CaseFactory, PartyFactory
from vom.core.precompiled import Precompiled


@pytest.mark.django_db
def test_precompiled_rows_equal_the_querysets_own_for_each_id(program, mediator):
    first, second = CaseFactory(program=program), CaseFactory(program=program)
    for case in (first, second):
        PartyFactory(case=case, role="offender")
        PartyFactory(case=case, role="victim")
    compiled = Precompiled(lambda case_id: case_page_parties_query().filter(case_id=case_id))
    for case in (first, second, first):
        rows = compiled.rows(case.pk)
        direct = list(case_page_parties_query().filter(case_id=case.pk))
        assert [(p.pk, p.person.last_name, p.texts_stopped, p.contact_attempt_count) for p in rows] == [
            (p.pk, p.person.last_name, p.texts_stopped, p.contact_attempt_count) for p in direct
        ]
        assert all(p.case_id == case.pk for p in rows) and len(rows) == 2
    assert compiled.rows(-1) == []


@pytest.mark.django_db
def test_precompiled_values_union_is_the_journal_of_the_case_asked_for(program, coordinator):
    from cases.services import note_add

    first, second = CaseFactory(program=program), CaseFactory(program=program)
    note_add(case=first, actor=coordinator, body="About the first", confidential=False)
    note_add(case=second, actor=coordinator, body="About the second", confidential=True)
    assert [n.body for n in case_journal(first, access_log=True)["notes"]] == ["About the first"]
    assert [(n.body, n.confidential) for n in case_journal(second, access_log=False)["notes"]] == [
        ("About the second", True)
    ]


def test_precompiled_refuses_a_query_without_the_id_among_its_parameters(db):
    with pytest.raises(ValueError, match="not a parameter"):
        Precompiled(lambda case_id: Party.objects.filter(role="victim")).rows(1)


@pytest.mark.django_db
def test_case_page_is_404_once_the_coordinator_leaves_the_program(client, program, coordinator, mediator):
    # The case page's SQL is compiled once per user's roles: a change of roles must compile it again.
    case = CaseFactory(program=program, stage="screening", lead_mediator=mediator)
    client.force_login(coordinator)
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    Membership.objects.filter(user=coordinator, program=program).delete()
    Membership.objects.create(user=coordinator, program=CaseFactory().program, role="coordinator")
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert Case.objects.filter(pk=case.pk).exists()
