"""bulk_insert (COPY on PostgreSQL) stores what bulk_create stores, and tells each object its id."""

from datetime import date, datetime, timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from cases.models import Party, Person, TimelineEvent
from vom.core.bulk import bulk_insert


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
