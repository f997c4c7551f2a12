"""The caseload's name search through ``Case.party_names`` (a read model kept by PostgreSQL triggers, cases
migration 0022): every write that changes a party or a person's name keeps it right in its transaction, whoever
writes (services, Django admin, ``update()``, plain SQL, bulk inserts); the walk fails when a trigger is off; the
search through it finds what the search through the parties finds; it holds names only, and a minimised party's
name leaves it. SQLite has no triggers and stores nothing: the search reads the parties there (tests below that
need the stored names skip on SQLite, and fail under VOM_REQUIRE_SERVICES)."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Case, Party, Person, direct_names_q, names_stored, stored_names_q
from cases.retention import case_anonymise
from cases.services import PartyInput, case_close, direct_party_names, party_add, party_add_supporter
from mediation import services as mediation
from mediation.retention import party_minimise_data
from tests.conftest import require
from tests.factories import CaseFactory, PartyFactory, PersonFactory, ProgramFactory
from tests.mediation.helpers import TODAY, assign, new_case, screen
from tests.vom.test_read_models import admin_form_post
from vom.core.bulk import bulk_insert

pytestmark = pytest.mark.django_db


def stored_party_names() -> None:
    require(names_stored(), "the party names are stored only on PostgreSQL (its triggers)")


def differences() -> dict[int, tuple[str, str]]:
    """Cases whose stored names differ from a recomputation from their parties: {pk: (stored, computed)}."""
    stored = dict(Case.objects.values_list("pk", "party_names"))
    return {pk: (stored[pk], names) for pk, names in direct_party_names(list(stored)).items() if stored[pk] != names}


def _sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _rename_in_admin(case, client, admin_user) -> None:
    client.force_login(admin_user)
    person = case.parties.get(role="offender").person
    admin_form_post(client, reverse("admin:cases_person_change", args=[person.pk]), first_name="Kaito")


def _stale_case_saved(case, coordinator) -> None:
    """A case read before a party was added, saved whole afterwards: its names must not go back."""
    stale = Case.objects.get(pk=case.pk)
    party_add(case=case, actor=coordinator, party=PartyInput(role="victim", first_name="Noor", last_name="Haddad"))
    stale.offense_description = "Broke two windows."
    stale.save()


def _bulk_parties(case) -> None:
    """What the seeders do: people and parties inserted in bulk (COPY)."""
    (person,) = bulk_insert([Person(first_name="Bulk", last_name="Okafor", created_at=TODAY_AT)])
    bulk_insert([Party(case=case, person=person, role="support", created_at=TODAY_AT)])


TODAY_AT = datetime.datetime(2026, 11, 2, 12, tzinfo=datetime.UTC)

NAME_WRITES = {
    "case_intake": lambda case, **k: new_case(case.program, k["coordinator"], second_offender=True),
    "party_add (with a guardian)": lambda case, **k: party_add(
        case=case, actor=k["coordinator"],
        party=PartyInput(role="offender", first_name="Mia", last_name="Okafor",
                         date_of_birth=TODAY - datetime.timedelta(days=16 * 365)),
        guardian=PartyInput(role="guardian", first_name="Rita", last_name="Okafor")),
    "party_add_supporter": lambda case, **k: party_add_supporter(
        case=case, actor=k["coordinator"], for_party=case.parties.get(role="victim"),
        supporter=PartyInput(role="support", first_name="Lee", last_name="Park")),
    "Person.save (a name corrected)": lambda case, **k: _save(case.parties.get(role="victim").person,
                                                              last_name="Pryce"),
    "admin change of a person's name": lambda case, **k: _rename_in_admin(case, k["client"], k["admin_user"]),
    "a plain update of names": lambda case, **k: Person.objects.filter(parties__case=case).update(
        organisation_name="Acme Ltd"),
    "plain SQL renaming a person": lambda case, **k: _sql(
        "UPDATE cases_person SET last_name = 'Ng' WHERE id IN (SELECT person_id FROM cases_party WHERE case_id = %s)",
        case.pk),
    "a party moved to another person": lambda case, **k: Party.objects.filter(case=case, role="victim").update(
        person=PersonFactory(first_name="Zed", last_name="Quill")),
    "a party moved to another case": lambda case, **k: Party.objects.filter(case=case, role="victim").update(
        case=CaseFactory(program=case.program)),
    "a party deleted (plain SQL)": lambda case, **k: _sql(
        "DELETE FROM cases_party WHERE case_id = %s AND role = 'victim'", case.pk),
    "parties inserted in bulk (the seeders)": lambda case, **k: _bulk_parties(case),
    "a role changed (no name changes)": lambda case, **k: Party.objects.filter(case=case, role="victim").update(
        role="support"),
    "a stale case saved whole after a party was added": lambda case, **k: _stale_case_saved(case, k["coordinator"]),
    "plain SQL writing the column": lambda case, **k: _sql(
        "UPDATE cases_case SET party_names = '|MALLORY|' WHERE id = %s", case.pk),
}  # fmt: skip


def _save(obj, **fields) -> None:
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save()


@pytest.mark.parametrize("name", list(NAME_WRITES))
def test_every_write_to_a_name_or_party_keeps_the_stored_names_in_its_transaction(
    program, coordinator, admin_user, client, name
):
    stored_party_names()
    case = new_case(program, coordinator)
    assert Case.objects.get(pk=case.pk).party_names == "|ANA|KAI|LOPEZ|PRICE|"
    with transaction.atomic():
        NAME_WRITES[name](case, coordinator=coordinator, client=client, admin_user=admin_user)
        assert differences() == {}
        assert Case.objects.filter(pk=case.pk).exists()


@pytest.mark.parametrize(
    "trigger, write",
    [
        ("cases_party_party_names_insert", lambda case, **k: NAME_WRITES["party_add_supporter"](case, **k)),
        ("cases_party_party_names_delete", lambda case, **k: NAME_WRITES["a party deleted (plain SQL)"](case, **k)),
        ("cases_party_party_names_update", lambda case, **k: NAME_WRITES["a party moved to another person"](case)),
        ("cases_person_party_names_update", lambda case, **k: NAME_WRITES["plain SQL renaming a person"](case)),
        ("cases_case_party_names", lambda case, **k: NAME_WRITES["plain SQL writing the column"](case)),
    ],
)
def test_the_walk_fails_when_a_trigger_is_off(program, coordinator, trigger, write):
    """The walk above sees a stale row: without the trigger the same write leaves the names wrong."""
    stored_party_names()
    case = new_case(program, coordinator)
    table = trigger.split("_party_names")[0]
    with transaction.atomic():
        _sql("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred check pending: the table can be altered
        _sql(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        write(case, coordinator=coordinator)
        assert list(differences()) == [case.pk]
        transaction.set_rollback(True)


def _case_after_its_parties(program) -> Case:
    """A case inserted after its parties, with the foreign keys deferred (as Django makes them on PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('cases_case', 'id'))")
        (case_id,) = cursor.fetchone()
    (person,) = bulk_insert([Person(first_name="Ines", last_name="Moreau", created_at=TODAY_AT)])
    bulk_insert([Party(case_id=case_id, person=person, role="victim", created_at=TODAY_AT)])
    case = CaseFactory.build(pk=case_id, program=program, referral_source__program=program)
    case.referral_source.save()
    case.save(force_insert=True)
    return case


@pytest.mark.parametrize("trigger_on", [True, False])
def test_a_case_inserted_after_its_parties_has_their_names(program, trigger_on):
    """The case's trigger skips looking for parties only when the case has none; off, the names stay empty."""
    stored_party_names()
    with transaction.atomic():
        if not trigger_on:
            _sql("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred check pending: the table can be altered
            _sql("ALTER TABLE cases_case DISABLE TRIGGER cases_case_party_names")
            _sql("SET CONSTRAINTS ALL DEFERRED")
        case = _case_after_its_parties(program)
        stored = Case.objects.get(pk=case.pk).party_names
        assert stored == ("|INES|MOREAU|" if trigger_on else "")
        assert list(differences()) == ([] if trigger_on else [case.pk])
        transaction.set_rollback(True)


def test_a_minimised_partys_name_leaves_the_stored_names_and_the_search(program, coordinator, mediator):
    stored_party_names()
    case = assign(new_case(program, coordinator), coordinator, mediator)
    victim = case.parties.get(role="victim")
    Party.objects.filter(pk=victim.pk).update(phone="(555) 0199-4242", address="17 Hidden Orchard Road",
                                              email="ana.price@example.org")  # fmt: skip
    screen(case.parties.get(role="offender"), mediator)
    screen(victim, mediator, outcome="declined", reason="Does not want to meet.")
    case = Case.objects.get(pk=case.pk)
    case = mediation.case_close_after_screening(case=case, expected_version=case.version, actor=mediator)
    stored = Case.objects.get(pk=case.pk).party_names
    assert stored == "|ANA|KAI|LOPEZ|PRICE|"  # names only: no address, phone or email
    assert Case.objects.search("Price").filter(pk=case.pk).exists()

    party_minimise_data(party=victim, actor=coordinator, reason="She asked.")
    assert Case.objects.get(pk=case.pk).party_names == "|KAI|LOPEZ|REMOVED|"
    assert not Case.objects.search("Price").exists() and not Case.objects.search("Ana").exists()
    assert differences() == {}


def test_anonymisation_leaves_no_name_in_the_stored_names(program, coordinator):
    stored_party_names()
    case = new_case(program, coordinator, juvenile=True)
    case_close(case=case, expected_version=case.version, actor=coordinator, outcome="withdrawn", reason="Moved.")
    case_anonymise(case=Case.objects.get(pk=case.pk))
    assert Case.objects.get(pk=case.pk).party_names == "|ANONYMISED|"
    assert not Case.objects.search("Lopez").exists()


def run(*args) -> str:
    out = StringIO()
    call_command("rebuild_read_models", *args, "--only", "party names", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_command_checks_and_rebuilds_the_stored_names(program, coordinator):
    stored_party_names()
    case = new_case(program, coordinator)
    assert "0 differ" in run("--check")
    with transaction.atomic():  # a write the triggers did not see
        _sql("SET CONSTRAINTS ALL IMMEDIATE")
        _sql("ALTER TABLE cases_case DISABLE TRIGGER cases_case_party_names")
        _sql("UPDATE cases_case SET party_names = '|X|' WHERE id = %s", case.pk)
        _sql("ALTER TABLE cases_case ENABLE TRIGGER cases_case_party_names")
    with pytest.raises(CommandError, match="1 stored read-model row"):
        run("--check")
    assert "1 were missing, stale or wrong" in run()
    assert "0 differ" in run("--check")
    assert Case.objects.get(pk=case.pk).party_names == "|ANA|KAI|LOPEZ|PRICE|"


def test_the_search_meaning_is_kept_on_every_database(program, coordinator):
    """Every word starts a name of one and the same person; case numbers are searched when the text has digits."""
    case = new_case(program, coordinator, second_offender=True)  # Kai Lopez, Sam Reyes, Ana Price
    found = lambda text: list(Case.objects.search(text).values_list("pk", flat=True))  # noqa: E731
    assert found("lop") == found("KAI lo") == found("ana PRICE") == found(case.number) == [case.pk]
    assert found("kai reyes") == found("ai") == found("lopez kai sam") == found("a|b") == []
    assert found("%") == found("_ai") == []


# --- Property: the search through the stored names finds what the search through the parties finds -----------

_name = st.text(alphabet="abAB |%_\\éß", min_size=0, max_size=5)
_people = st.lists(st.tuples(_name, _name, _name), min_size=1, max_size=5)
_edits = st.lists(
    st.one_of(
        st.tuples(st.just("rename"), st.integers(0, 4), st.sampled_from(["first_name", "last_name",
                                                                          "organisation_name"]), _name),
        st.tuples(st.just("add party"), st.integers(0, 4), st.integers(0, 2), st.just("")),
        st.tuples(st.just("remove party"), st.integers(0, 20), st.just(0), st.just("")),
        st.tuples(st.just("move party"), st.integers(0, 20), st.integers(0, 4), st.just("")),
    ),
    max_size=6,
)  # fmt: skip
_queries = st.lists(st.text(alphabet="abAB |%_\\éß", min_size=1, max_size=6), min_size=1, max_size=4)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=_people, edits=_edits, queries=_queries)
def test_the_search_through_the_stored_names_equals_the_direct_search(people, edits, queries):
    stored_party_names()
    with transaction.atomic():
        program = ProgramFactory()
        cases = [CaseFactory(program=program) for _ in range(3)]
        persons = [
            PersonFactory(first_name=first, last_name=last or "x", organisation_name=org) for first, last, org in people
        ]
        for index, person in enumerate(persons):
            PartyFactory(case=cases[index % 3], person=person, role="victim")
        for edit, first, second, value in edits:
            parties = list(Party.objects.filter(case__program=program).order_by("pk"))
            person = persons[(second if edit == "move party" else first) % len(persons)]
            if edit == "rename":
                value = value or "x" if second == "last_name" else value  # an individual has a last name
                Person.objects.filter(pk=person.pk).update(**{second: value})
            elif edit == "add party" and not Party.objects.filter(case=cases[second], person=person).exists():
                PartyFactory(case=cases[second], person=person, role="support")
            elif edit == "remove party" and parties:
                parties[first % len(parties)].delete()
            elif edit == "move party" and parties:
                party = parties[first % len(parties)]
                if not Party.objects.filter(case_id=party.case_id, person=person).exists():
                    Party.objects.filter(pk=party.pk).update(person=person)
        assert differences() == {}
        for text in queries:
            words = text.split()[:4]
            if not words:
                continue
            mine = Case.objects.filter(program=program)
            if not any("|" in word for word in words):
                stored = set(mine.filter(stored_names_q(words)).values_list("pk", flat=True))
                assert stored == set(mine.filter(direct_names_q(words)).values_list("pk", flat=True)), words
            assert set(mine.search(text).values_list("pk", flat=True)) == set(
                mine.filter(direct_names_q(words)).values_list("pk", flat=True)
            ), text
        transaction.set_rollback(True)
