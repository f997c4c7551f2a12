"""bulk_insert (COPY on PostgreSQL) stores what bulk_create stores, and tells each object its id."""

from datetime import date, datetime, timedelta

import pytest
from django.db.models import F
from django.db.models.expressions import DatabaseDefault
from django.utils import timezone

from agreements.models import Agreement
from cases.models import Party, Person, TimelineEvent
from vom.core.bulk import bulk_insert, new


def people(tag: str, gender: str | None = None):
    extra = {"gender": gender} if gender is not None else {}
    return [
        Person(first_name=f"Ana{n}", last_name=tag, date_of_birth=date(1990, 1, 1) + timedelta(days=n), **extra)
        for n in range(3)
    ] + [Person(kind=Person.Kind.ORGANISATION, organisation_name="Corner Market", last_name=tag, **extra)]


def stored(objs):
    model = type(objs[0])
    fields = [f.attname for f in model._meta.concrete_fields if f.attname not in {"id", "created_at", "last_name"}]
    return list(model.objects.filter(pk__in=[o.pk for o in objs]).order_by("pk").values_list(*fields))


@pytest.mark.django_db
@pytest.mark.parametrize("gender", [None, "declined"])  # the column's database default, or a value
def test_bulk_insert_stores_what_bulk_create_stores(gender):
    created = Person.objects.bulk_create(people("Created", gender))
    inserted = bulk_insert(people("Inserted", gender))
    assert all(person.pk and not person._state.adding for person in inserted)
    assert len({p.pk for p in created + inserted}) == 8
    assert stored(created) == stored(inserted)  # the last name (the tag) aside
    assert Person.objects.filter(pk__in=[p.pk for p in inserted], created_at__isnull=False).count() == 4


@pytest.mark.django_db
def test_bulk_insert_reads_related_objects_saved_after_they_were_assigned(case):
    person = Person(first_name="Imani", last_name="Okafor")  # no id yet
    party = Party(case=case, person=person, role=Party.Role.VICTIM, email="imani@example.org")
    bulk_insert([person])
    bulk_insert([party])
    assert Party.objects.get(pk=party.pk).person == person

    at = timezone.make_aware(datetime(2026, 3, 2, 9, 30))
    events = bulk_insert([TimelineEvent(case=case, at=at, kind=TimelineEvent.Kind.CREATED, summary="Referral")])
    assert TimelineEvent.objects.filter(pk=events[0].pk, at=at, case=case).exists()
    assert TimelineEvent.objects.filter(pk=events[0].pk).values_list(F("at"), flat=True).get() == at


def fields_of(obj) -> dict:
    return {name: value for name, value in obj.__dict__.items() if name != "_state"}


@pytest.mark.django_db
def test_new_makes_what_the_model_makes(case):
    person = Person.objects.create(first_name="Imani", last_name="Okafor")
    at = timezone.now()
    for model, values in [
        (Person, {"first_name": "Ana", "date_of_birth": date(1990, 1, 1)}),
        (Person, {"kind": Person.Kind.ORGANISATION, "organisation_name": "Corner Market", "gender": "declined"}),
        (Party, {"case": case, "person": person, "role": Party.Role.VICTIM}),
        (Party, {"case_id": case.pk, "person_id": person.pk, "role": Party.Role.OFFENDER, "related_party": None}),
        (TimelineEvent, {"case": case, "at": at, "kind": TimelineEvent.Kind.CREATED, "summary": "Referral"}),
    ]:
        made, expected = new(model, **values), model(**values)
        made_fields, expected_fields = fields_of(made), fields_of(expected)
        # The column's database default is an expression object: the same kind, not the same object.
        for name, value in expected_fields.items():
            if isinstance(value, DatabaseDefault):
                assert isinstance(made_fields.pop(name), DatabaseDefault)
                made_fields[name] = value
        assert made_fields == expected_fields
        assert made._state.adding and made._state.db is None
        assert made._state.fields_cache.keys() == expected._state.fields_cache.keys()
    party = new(Party, case=case, person=person, role=Party.Role.VICTIM)
    assert party.case is case and party.person is person  # kept, no query


@pytest.mark.django_db
def test_new_objects_are_inserted_and_saved_like_the_models(case):
    person = new(Person, first_name="Ana", last_name="Okafor")
    person.save()
    [party] = bulk_insert([new(Party, case=case, person=person, role=Party.Role.VICTIM)])
    stored_party = Party.objects.get(pk=party.pk)
    assert (stored_party.case_id, stored_party.person_id, stored_party.role) == (case.pk, person.pk, "victim")
    assert Person.objects.get(pk=person.pk).gender == ""  # the column's database default


def test_new_calls_callable_defaults_for_each_object_and_refuses_unknown_names():
    first, second = new(Agreement, number=1), new(Agreement, number=2)
    assert first.languages == [] and first.amendment_reason_translations == {}
    assert first.languages is not second.languages  # default=list called for each, never shared
    assert first.amendment_reason_translations is not second.amendment_reason_translations
    given = ["fr"]
    assert new(Agreement, number=3, languages=given).languages is given  # given: kept, no default made
    with pytest.raises(TypeError, match="unexpected keyword argument 'nickname'"):
        new(Person, nickname="Ana")
    with pytest.raises(TypeError, match="unexpected keyword argument 'parties'"):
        new(Person, parties=[])  # a reverse relation: not a field of the row
