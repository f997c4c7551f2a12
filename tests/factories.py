import datetime

import factory
from django.utils import timezone

from cases.models import Case, Membership, Party, Person, Program, ReferralSource
from vom.users.models import User

TEST_PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(TEST_PASSWORD)


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Program {n}")
    slug = factory.LazyAttribute(lambda p: p.name.lower().replace(" ", "-"))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    program = factory.SubFactory(ProgramFactory)
    role = Membership.Role.MEDIATOR


class ReferralSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferralSource
        django_get_or_create = ("program", "name")

    program = factory.SubFactory(ProgramFactory)
    name = "County Probation"
    kind = ReferralSource.Kind.PROBATION


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = datetime.date(1990, 5, 17)


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    program = factory.SubFactory(ProgramFactory)
    number = factory.Sequence(lambda n: f"T-{n + 1:05d}")  # never collides with counter-issued numbers
    referral_source = factory.SubFactory(ReferralSourceFactory, program=factory.SelfAttribute("..program"))
    referral_date = datetime.date(2026, 10, 1)
    referral_type = Case.ReferralType.DIVERSION
    offense_category = Case.OffenseCategory.PROPERTY
    offense_description = "Broke a shop window."
    incident_date = datetime.date(2026, 9, 20)
    stage = Case.Stage.REFERRED
    stage_changed_at = factory.LazyFunction(timezone.now)


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party

    case = factory.SubFactory(CaseFactory)
    person = factory.SubFactory(PersonFactory)
    role = Party.Role.OFFENDER
    consent_to_contact = True
    email = factory.LazyAttribute(lambda p: f"{p.person.first_name.lower()}@example.org")
    phone = "(555) 0100-1234"


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "mediation.Meeting"

    case = factory.SubFactory(CaseFactory)
    kind = "prep_offender"
    scheduled_for = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=2))
    location = "Program office"
    created_by = factory.SubFactory(UserFactory)
