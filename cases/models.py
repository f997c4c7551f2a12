"""Programs, memberships, referral sources, people, parties and the Case.

The stage facts live in ``cases.stages``; this module holds the data and the access choke point,
``Case.objects.visible_to(user)``.
"""

import operator
import secrets
from dataclasses import dataclass, field
from datetime import time, timedelta
from functools import reduce

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import connections, models
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Upper

from vom.core.i18n import ENGLISH, PARTY_LANGUAGES, catalogue_languages, document_language

from . import rules, stages
from .stages import Outcome, Stage


def default_document_languages() -> list[str]:
    return ["en", "es"]


def validate_document_languages(value) -> None:
    if not isinstance(value, list) or not value or not all(isinstance(code, str) for code in value):
        raise ValidationError('List the language codes documents are written in, e.g. ["en", "es"].')
    if ENGLISH not in value:
        raise ValidationError("English must stay among the document languages: it is what other parties fall back to.")
    unknown = sorted(set(value) - set(catalogue_languages()))
    if unknown:
        raise ValidationError(
            f"No message catalogue for {', '.join(unknown)}: add it first (docs/languages.md), then list it here."
        )


def new_filters_version() -> int:
    """A fresh ``Program.filters_version`` (random: see there)."""
    return secrets.randbits(62)


class ProgramQuerySet(models.QuerySet):
    def coordinated_by(self, user) -> "ProgramQuerySet":
        """The programs the user coordinates: the scope of every program-level page (``cases.policies``)."""
        return self.filter(pk__in=sorted(user_roles(user).coordinator_of))


class Program(models.Model):
    """A VOM program. Every case belongs to exactly one."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    currency = models.CharField(max_length=3, default="USD", help_text="ISO 4217 code for restitution amounts.")
    accepts_organisation_victims = models.BooleanField(
        default=True, help_text="Whether shops, schools and other organisations may be the victim of a case."
    )
    address = models.TextField(blank=True, help_text="Printed on the letterhead of agreements and letters.")
    outcome_check_months = models.CharField(
        max_length=50,
        default="6,12,30",
        validators=[RegexValidator(r"^\d{1,3}(,\d{1,3})*$", "Whole months separated by commas, e.g. 6,12,30.")],
        help_text="When to check for reoffending after a case closes, in months.",
    )
    inactivity_days = models.PositiveSmallIntegerField(
        default=21, help_text="Warn the lead mediator and coordinators when an open case has had no activity this long."
    )
    retention_years = models.PositiveSmallIntegerField(
        default=7, help_text="Closed cases older than this are anonymised (names, contacts, notes, files removed)."
    )
    default_after_days = models.PositiveSmallIntegerField(
        default=30,
        db_default=30,
        help_text="An installment, hours or a check still not kept this many days after its due date puts the "
        "agreement in default, and the coordinators are told once.",
    )
    court_warning_days = models.PositiveSmallIntegerField(
        default=14, help_text="Warn coordinators this many days before a court return date of an open case."
    )
    mediators_require_two_factor = models.BooleanField(
        "mediators must use two-factor sign-in",
        default=False,
        help_text="Coordinators and admins always sign in with a code from an authenticator app; tick this to "
        "require it of this program's mediators too.",
    )

    class PaperSize(models.TextChoices):
        LETTER = "letter", "US Letter (8.5 x 11 in)"
        A4 = "a4", "A4 (210 x 297 mm)"

    paper_size = models.CharField(
        max_length=10,
        choices=PaperSize.choices,
        default=PaperSize.LETTER,
        help_text="The paper the program's agreements, letters and reports are printed on (a US court file is Letter).",
    )
    co_mediator_signs = models.BooleanField(
        "co-mediators sign agreements too",
        default=False,
        help_text="Tick to require the co-mediator's signature beside the lead mediator's on every agreement.",
    )
    report_threshold = models.PositiveSmallIntegerField(
        "small numbers shown as 'fewer than'",
        default=5,
        db_default=5,
        validators=[MinValueValidator(1)],
        help_text="Figures on the dashboard and in reports about fewer people than this are shown as 'fewer than "
        "N' (and what would give them back is hidden too); survey comments appear only once this many answered.",
    )
    usual_meeting_place = models.CharField(
        max_length=300,
        blank=True,
        db_default="",
        help_text="Where meetings are usually held (for example the program's office): filled in when a meeting is "
        "scheduled, and changed there when a meeting is held elsewhere.",
    )
    joint_session_minutes = models.PositiveSmallIntegerField(
        "joint session length (minutes)",
        default=120,
        db_default=120,
        validators=[MinValueValidator(15)],
        help_text="The usual length of a joint session, filled in when one is scheduled (sessions run one to three "
        "hours).",
    )
    document_languages = models.JSONField(
        default=default_document_languages,
        validators=[validate_document_languages],
        help_text="Languages the program's agreements, letters, reminders and surveys are written in, as codes "
        '(e.g. ["en", "es"]). A party whose language is not listed receives English, with an interpreter.',
    )
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    phone_region = models.CharField(
        max_length=2,
        blank=True,
        db_default="",
        help_text="Where a phone number typed without +country code is from (ISO 3166, e.g. US). "
        "Blank: the site's PHONE_REGION.",
    )
    quiet_hours_start = models.TimeField(
        default=time(20, 0),
        db_default=time(20, 0),
        help_text="No text messages from this time (the program's local time)...",
    )
    quiet_hours_end = models.TimeField(
        default=time(8, 0), db_default=time(8, 0), help_text="...until this time. The same time twice: no quiet hours."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Not a counter: a full save of a Program read earlier writes back the value it read, and a counter
    # could then return to a value whose cached choices are out of date.
    filters_version = models.BigIntegerField(
        default=new_filters_version,
        editable=False,
        help_text="A new random value in the transaction of every change to what the caseload filter offers for "
        "this program (its name, its mediators and their names, its referral sources): the cached choices' key.",
    )

    objects = ProgramQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def check_windows(self) -> list[int]:
        return sorted({int(part) for part in self.outcome_check_months.split(",") if part.strip()})


class Membership(models.Model):
    """A user's role in one program: coordinator or mediator."""

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", "Coordinator"
        MEDIATOR = "mediator", "Mediator"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "program", "role"], name="cases_membership_unique_role"),
            models.CheckConstraint(
                condition=Q(role__in=["coordinator", "mediator"]), name="cases_membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.program}"


@dataclass(frozen=True)
class Roles:
    """What a signed-in user is, across programs; computed once per request."""

    coordinator_of: frozenset[int] = field(default_factory=frozenset)
    mediator_of: frozenset[int] = field(default_factory=frozenset)
    is_admin: bool = False
    # Programs whose mediators must sign in with a second factor, among those the user mediates for.
    two_factor_mediator_of: frozenset[int] = field(default_factory=frozenset)
    # Each of the user's programs' ``filters_version`` as read with the roles, ((program id, version), …).
    filters_versions: tuple[tuple[int, int], ...] = ()

    @property
    def is_coordinator(self) -> bool:
        return bool(self.coordinator_of)

    @property
    def is_mediator(self) -> bool:
        return bool(self.mediator_of)

    @property
    def has_any(self) -> bool:
        return self.is_coordinator or self.is_mediator or self.is_admin

    @property
    def membership_requires_two_factor(self) -> bool:
        """Every coordinator, and a mediator of a program that asks for it (admins: vom/users decides)."""
        return self.is_coordinator or bool(self.two_factor_mediator_of)


def user_roles(user) -> Roles:
    """The user's roles, cached on the user object so a request asks the database once."""
    if not getattr(user, "is_authenticated", False):
        return Roles()
    cached = getattr(user, "_vom_roles", None)
    if cached is None:
        coordinator_of, mediator_of, two_factor_mediator_of, versions = set(), set(), set(), {}
        memberships = Membership.objects.filter(user=user).values_list(
            "program_id", "role", "program__mediators_require_two_factor", "program__filters_version"
        )
        for program_id, role, program_requires_two_factor, filters_version in memberships:
            versions[program_id] = filters_version
            if role == Membership.Role.COORDINATOR:
                coordinator_of.add(program_id)
            else:
                mediator_of.add(program_id)
                if program_requires_two_factor:
                    two_factor_mediator_of.add(program_id)
        cached = Roles(
            frozenset(coordinator_of),
            frozenset(mediator_of),
            user.is_staff or user.is_superuser,
            frozenset(two_factor_mediator_of),
            tuple(sorted(versions.items())),
        )
        user._vom_roles = cached
    return cached


class ReferralSource(models.Model):
    """Who refers cases to a program, and whom the program reports back to."""

    class Kind(models.TextChoices):
        COURT = "court", "Court / judge"
        PROBATION = "probation", "Probation"
        PROSECUTOR = "prosecutor", "Prosecutor"
        POLICE = "police", "Police"
        JUVENILE_DIVERSION = "diversion", "Juvenile diversion"
        DEFENCE = "defence", "Defence counsel"
        SCHOOL = "school", "School"
        VICTIM_ADVOCATE = "victim_advocate", "Victim advocate"
        COMMUNITY = "community", "Community"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="referral_sources")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="cases_referralsource_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """One human or organisation across cases, so re-referrals and reoffending can be seen."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", "Individual"
        ORGANISATION = "organisation", "Organisation"

    class Gender(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        ANOTHER = "another", "Another gender"
        DECLINED = "declined", "Prefers not to say"

    class Ethnicity(models.TextChoices):
        HISPANIC = "hispanic", "Hispanic or Latino"
        WHITE = "white", "White"
        BLACK = "black", "Black or African American"
        ASIAN = "asian", "Asian"
        NATIVE_AMERICAN = "native_american", "American Indian or Alaska Native"
        PACIFIC_ISLANDER = "pacific_islander", "Native Hawaiian or Pacific Islander"
        MULTIPLE = "multiple", "Two or more"
        ANOTHER = "another", "Another"
        DECLINED = "declined", "Prefers not to say"

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.INDIVIDUAL)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    organisation_name = models.CharField(max_length=200, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    # Self-described, optional: kept when a party's data is minimised, for the program's statistics.
    gender = models.CharField(max_length=20, choices=Gender.choices, blank=True, db_default="")
    ethnicity = models.CharField(max_length=20, choices=Ethnicity.choices, blank=True, db_default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name", "organisation_name"]
        indexes = [models.Index(fields=["last_name", "first_name", "date_of_birth"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="individual") & ~Q(last_name=""))
                | (Q(kind="organisation") & ~Q(organisation_name="")),
                name="cases_person_named",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.ORGANISATION:
            return self.organisation_name
        return f"{self.first_name} {self.last_name}".strip()


def overdue_q(now) -> Q:
    """Open cases that have sat in their stage longer than ``stages.OVERDUE_DAYS`` allows."""
    condition = Q()
    for stage, days in stages.OVERDUE_DAYS.items():
        condition |= Q(stage=stage, stage_changed_at__lt=now - timedelta(days=days))
    return condition


def reached_q(stage: str) -> Q:
    """Cases that got at least as far as ``stage``: open ones there or later, closed ones closed from
    there or later (or with an outcome that implies it)."""
    later = stages.reached_stages(stage)
    implied = stages.outcomes_reaching(stage)
    return Q(stage__in=later) | Q(stage="closed", closed_from_stage__in=later) | Q(stage="closed", outcome__in=implied)


def mediated_q() -> Q:
    """Cases where victim and offender were brought together (directly or by shuttle): an agreement
    came of it, or a session was held without one. The rest of the referrals form the comparison group."""
    return reached_q("agreement") | Q(outcome="no_agreement")


def juvenile_offender_q(case_path: str = "") -> Q:
    """Rows whose case (reached through ``case_path``) has a juvenile offender (``Case.juvenile``)."""
    return Q(**{f"{case_path}__juvenile" if case_path else "juvenile": True})


def juvenile_flag(case_path: str = "") -> F:
    return F(f"{case_path}__juvenile" if case_path else "juvenile")


def _listed_parties() -> models.Prefetch:
    """Each case's parties as lists show them: role and name, in display order, no contact details."""
    return models.Prefetch("parties", Party.objects.select_related("person").in_display_order().listed())


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CaseQuerySet":
        """The single access choke point for cases.

        Coordinators see every case of their programs; mediators see the cases they are assigned to
        in programs they still belong to; superusers see everything; nobody else sees anything.
        """
        condition = self.visibility(user)
        return self.none() if condition is None else self.filter(condition)

    @staticmethod
    def visibility(user) -> Q | None:
        """What ``visible_to(user)`` filters on, a condition over ``program``, ``lead_mediator`` and
        ``co_mediator`` (``Q()``: everything; None: nothing). A table that copies those three columns of its
        case under the same names (the follow-up summaries) filters on it too, without joining the cases."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return None
        if user.is_superuser:
            return Q()
        # Only the branches the user's roles need: a mediator's condition alone can use the indexes on
        # lead_mediator and co_mediator; OR'ed with a coordinator branch it scanned every case.
        roles = user_roles(user)
        branches = []
        if roles.coordinator_of:
            branches.append(Q(program_id__in=sorted(roles.coordinator_of)))
        if roles.mediator_of:
            branches.append(Q(program_id__in=sorted(roles.mediator_of)) & (Q(lead_mediator=user) | Q(co_mediator=user)))
        return reduce(operator.or_, branches) if branches else None

    @staticmethod
    def visibility_key(user) -> tuple:
        """What ``visible_to(user)`` depends on: a key for SQL compiled from it (``vom.core.precompiled``)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return ("nobody",)
        if user.is_superuser:
            return ("everything",)
        roles = user_roles(user)
        return (user.pk, tuple(sorted(roles.coordinator_of)), tuple(sorted(roles.mediator_of)))

    def open(self) -> "CaseQuerySet":
        # A list of the open stages rather than "not closed": most cases of a program are closed, and
        # only the list can use the (program, stage) index instead of reading every case.
        return self.filter(stage__in=stages.OPEN_STAGES)

    def for_caseload(self) -> "CaseQuerySet":
        """Rows for the caseload CSV: the joins its columns need, parties (role and name) in one extra query."""
        return self.select_related("program", "referral_source", "lead_mediator", "co_mediator").prefetch_related(
            _listed_parties()
        )

    def for_caseload_page(self) -> "CaseQuerySet":
        """The caseload list's rows as plain values: only the columns it shows (no description, address or
        phone is read), no model instances (``cases.selectors.caseload_rows`` shapes them for the page). Every
        column the list sorts by is among them: "Next" continues from the last row's."""
        people = ("username", "first_name", "last_name")
        return self.values(
            "pk", "number", "stage", "mode", "offense_category", "referral_date", "stage_changed_at",
            "referral_source__name",
            *(f"{who}__{field}" for who in ("lead_mediator", "co_mediator") for field in people),
        )  # fmt: skip

    def for_case_page(self) -> "CaseQuerySet":
        return self.select_related("program", "referral_source", "lead_mediator", "co_mediator")

    def reached(self, stage: str) -> "CaseQuerySet":
        return self.filter(reached_q(stage))

    def mediated(self, yes: bool = True) -> "CaseQuerySet":
        return self.filter(mediated_q()) if yes else self.exclude(mediated_q())

    def juvenile(self, yes: bool = True) -> "CaseQuerySet":
        return self.filter(juvenile_offender_q()) if yes else self.exclude(juvenile_offender_q())

    def overdue(self, now) -> "CaseQuerySet":
        return self.filter(overdue_q(now))

    def with_overdue(self, now) -> "CaseQuerySet":
        return self.annotate(is_overdue=models.ExpressionWrapper(overdue_q(now), output_field=models.BooleanField()))

    def search(self, text: str) -> "CaseQuerySet":
        """By case number, or by the start of one party's first, last or organisation name (every word, up to
        four, the start of one of the same person's names)."""
        text = text.strip()
        if not text:
            return self
        words = text.split()[:4]
        if names_stored(self.db) and not any(NAME_START in word for word in words):
            found = stored_names_q(words)
        else:
            found = direct_names_q(words)
        if any(character.isdigit() for character in text):
            # Case numbers ("2026-0042") have digits; matching inside them reads every case, so only
            # text that could be part of one is looked for there.
            found |= Q(number__icontains=text)
        return self.filter(found)


# --- The name search: each word starts one of the same person's names ------------------------------------------

NAME_START = "|"  # starts each name in Case.party_names


def names_stored(alias: str = "default") -> bool:
    """Whether ``Case.party_names`` is kept (by PostgreSQL triggers: cases migration 0022); elsewhere it is empty."""
    return connections[alias].vendor == "postgresql"


def person_names_q(words: list[str]) -> Q:
    """People one of whose first, last or organisation names starts with each word (case-insensitive)."""
    names = Q()
    for word in words:
        names &= (
            Q(first_name__istartswith=word) | Q(last_name__istartswith=word) | Q(organisation_name__istartswith=word)
        )
    return names


def direct_names_q(words: list[str]) -> Q:
    """Cases with a party whose person's names start with every word, read through the parties."""
    # People first (a small set), then their cases: cheaper than probing every case's parties.
    people = Person.objects.filter(person_names_q(words)).values("pk")
    return Q(pk__in=Party.objects.filter(person__in=people).values("case_id"))


def stored_names_q(words: list[str]) -> Q:
    """Cases whose ``party_names`` has a name starting with each word ("LIKE '%|OKAF%'", answered from the trigram
    index), the same as ``direct_names_q`` for one word. Several words may start names of
    different parties there: those cases are checked against one person's names, the candidates only."""
    found = Q()
    for word in words:
        # UPPER in SQL, as istartswith does and as the triggers stored the names (Python's upper() differs).
        found &= Q(party_names__contains=Upper(Value(NAME_START + word)))
    if len(words) > 1:
        one_person = Person.objects.filter(person_names_q(words), parties__case=OuterRef("pk"))
        found &= Exists(one_person)
    return found


class Case(models.Model):
    """A referral and everything that follows from it, moved through its stages by services only."""

    Stage = Stage
    Outcome = Outcome

    class ReferralType(models.TextChoices):
        DIVERSION = "diversion", "Diversion"
        PRE_ADJUDICATION = "pre_adjudication", "Pre-adjudication"
        POST_ADJUDICATION = "post_adjudication", "Post-adjudication (before disposition)"
        POST_INCARCERATION = "post_incarceration", "Post-incarceration"

    class OffenseCategory(models.TextChoices):
        PROPERTY = "property", "Property"
        MINOR_ASSAULT = "minor_assault", "Minor assault"
        VIOLENT = "violent", "Violent"
        OTHER = "other", "Other"

    class Mode(models.TextChoices):
        DIRECT = "direct", "Face to face"
        INDIRECT = "indirect", "Indirect (shuttle)"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="cases")
    number = models.CharField(max_length=20, help_text="Human case number, e.g. 2026-0042.")
    referral_source = models.ForeignKey(ReferralSource, on_delete=models.PROTECT, related_name="cases")
    referral_date = models.DateField()
    referral_type = models.CharField(max_length=30, choices=ReferralType.choices)
    court_ordered = models.BooleanField(default=False)
    referral_reference = models.CharField(
        "court / referral reference",
        max_length=100,
        blank=True,
        help_text="The court's docket or case number, or the referring agency's own reference, as on its papers.",
    )
    court_return_date = models.DateField(null=True, blank=True)
    offense_category = models.CharField(max_length=20, choices=OffenseCategory.choices)
    offense_description = models.TextField(blank=True)
    incident_date = models.DateField(null=True, blank=True)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.REFERRED)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.DIRECT)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    outcome_reason = models.TextField(blank=True)
    lead_mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="cases_led"
    )
    co_mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases_co_mediated",
    )
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock: bumped by every change.")
    stage_changed_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_from_stage = models.CharField(
        max_length=20, choices=Stage.choices, blank=True, help_text="Where a reopened case goes back to."
    )
    anonymised_at = models.DateTimeField(null=True, blank=True, help_text="Set when retention removed personal data.")
    juvenile = models.BooleanField(
        default=False,
        editable=False,
        help_text="An offender was under 18 on the incident date. Kept by cases.services.refresh_juvenile, so "
        "reports count juveniles without reading every party (and still can after retention removed birth dates).",
    )
    party_names = models.TextField(
        default="",
        db_default="",
        editable=False,
        help_text="The parties' first, last and organisation names, upper-cased, each one started by '|' "
        "('|ACME LTD|ADA|OKAFOR|'): names only, never contact details. Kept by PostgreSQL triggers "
        "(cases migration 0022), so the caseload's name search reads case rows alone; empty elsewhere.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-referral_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="cases_case_unique_number"),
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values),
                name="cases_case_stage_valid",
            ),
            models.CheckConstraint(
                condition=(Q(stage="closed") & ~Q(outcome="")) | (~Q(stage="closed") & Q(outcome="")),
                name="cases_case_outcome_iff_closed",
            ),
            models.CheckConstraint(
                condition=Q(co_mediator__isnull=True) | ~Q(co_mediator=models.F("lead_mediator")),
                name="cases_case_co_mediator_distinct",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "stage", "-referral_date"]),
            models.Index(fields=["lead_mediator", "stage"]),
            models.Index(fields=["co_mediator", "stage"]),
            models.Index(fields=["-referral_date", "-id"]),
            models.Index(fields=["program", "referral_date"], name="cases_case_program_referred"),
            # "Overdue only": each open stage's cases that entered it before that stage's limit, read as one index
            # range per stage instead of every open case of the program checked row by row. With the mediators
            # and the id it also answers the dashboard's open cases by stage (and stuck) and each mediator's
            # open cases without reading the case rows, which lie scattered across the table.
            models.Index(
                fields=["program", "stage", "stage_changed_at"],
                include=["lead_mediator", "co_mediator", "id"],
                name="cases_case_program_stage_since",
            ),
            # Reports join survey answers and reoffending checks to their case for its program and the
            # figures they group by: this index answers the join without reading the case rows.
            models.Index(
                fields=["program", "id", "juvenile", "stage", "closed_from_stage", "outcome"],
                name="cases_case_program_report",
            ),
            # The reminder planners read the court dates coming up (cases.reminders): a range, not every case.
            models.Index(
                fields=["court_return_date"], condition=Q(court_return_date__isnull=False), name="cases_case_court_date"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    # What templates and rules ask of a case's stage (the facts are in ``cases.stages``).
    @property
    def is_open(self) -> bool:
        return stages.is_open(self.stage)

    @property
    def is_closed(self) -> bool:
        return not stages.is_open(self.stage)

    @property
    def is_workable(self) -> bool:
        return stages.is_workable(self.stage)

    @property
    def allows_meetings(self) -> bool:
        return stages.allows_meetings(self.stage)

    @property
    def allows_prep_waiver(self) -> bool:
        return stages.allows_prep_waiver(self.stage)

    @property
    def allows_exchanges(self) -> bool:
        return stages.allows_exchanges(self.stage)

    @property
    def age_reference_date(self):
        return rules.age_reference_date(self.incident_date, self.referral_date)

    @property
    def in_follow_up(self) -> bool:
        return self.stage == Stage.FOLLOW_UP


class CaseRevision(models.Model):
    """A number that changes, in the same transaction, with every write to a case or to a record its next action
    is computed from (its parties and their people, their contact attempts and screenings, its meetings and their
    attendees, its exchanges, agreements, signatures and follow-up summary): the key under which a process may
    keep what it computed from them (``cases.selectors.my_next_actions``).

    Kept by PostgreSQL statement triggers (cases migration 0025), whoever writes: a service, Django admin,
    ``update()``, plain SQL, a seeder's bulk insert. Each write sets a new random number, not the next one, so
    that a database restored from a backup cannot reach a number again with other contents. A case has a row
    from its first write after that migration; other databases have no rows and nothing is kept. No foreign
    key: a case's records are deleted before it, and their triggers would write a row the case's deletion
    could not then be checked against; a deleted case's row is removed by the case's own trigger."""

    case_id = models.BigIntegerField(primary_key=True)
    revision = models.BigIntegerField()

    def __str__(self) -> str:
        return f"Case {self.case_id} at revision {self.revision}"


class CaseNumberCounter(models.Model):
    """The last case number handed out per program and year; claimed with an atomic UPDATE."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "year"], name="cases_counter_unique_year")]

    def __str__(self) -> str:
        return f"{self.program} {self.year}: {self.last_value}"


class PartyQuerySet(models.QuerySet):
    def listed(self, *more: str) -> "PartyQuerySet":
        """Only what a list of cases shows of each party, role and name (with ``select_related("person")``), and
        ``more`` fields: no address, phone or email is read."""
        return self.only(
            "case_id", "role", "person__kind", "person__first_name", "person__last_name", "person__organisation_name",
            *more,
        )  # fmt: skip

    def in_display_order(self) -> "PartyQuerySet":
        """Offenders first (they are contacted first), then guardians, victims and the rest."""
        order = [
            Party.Role.OFFENDER,
            Party.Role.GUARDIAN,
            Party.Role.VICTIM,
            Party.Role.VICTIM_REPRESENTATIVE,
        ]
        rank = models.Case(
            *(models.When(role=role, then=models.Value(i)) for i, role in enumerate(order)),
            default=models.Value(len(order)),
        )
        return self.alias(role_rank=rank).order_by("role_rank", "pk")


class Party(models.Model):
    """A person's role in one case.

    Contact details live here, per case, not on Person: a victim's address must not follow them into
    another case where other staff (or the same person as an offender) would see it.
    """

    class Role(models.TextChoices):
        VICTIM = "victim", "Victim"
        OFFENDER = "offender", "Offender"
        GUARDIAN = "guardian", "Parent / guardian"
        VICTIM_REPRESENTATIVE = "victim_rep", "Victim representative"
        SUPPORT = "support", "Support person"

    class ContactMethod(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"
        POST = "post", "Post"
        THROUGH_GUARDIAN = "guardian", "Through parent / guardian"
        THROUGH_REPRESENTATIVE = "representative", "Through representative"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="parties")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="parties")
    role = models.CharField(max_length=20, choices=Role.choices)
    related_party = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supporters",
        help_text="For a guardian: the juvenile offender; for a representative: the organisation victim.",
    )
    preferred_language = models.CharField(max_length=10, choices=PARTY_LANGUAGES, default=ENGLISH)
    interpreter_needed = models.BooleanField(default=False)
    accessibility_needs = models.TextField(blank=True)
    consent_to_contact = models.BooleanField(default=False)
    contact_method = models.CharField(max_length=20, choices=ContactMethod.choices, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    texts_consented_at = models.DateTimeField(
        "consented to text messages",
        null=True,
        blank=True,
        help_text="When the party agreed to receive reminders by text message at their phone number.",
    )
    texts_consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    victim_updates = models.BooleanField(
        "progress updates by email",
        default=False,
        db_default=False,
        help_text="A victim (or an organisation victim's representative) chose to be told by email how "
        "restitution is going: money forwarded, a missed payment followed up, the plan amended, completion.",
    )
    minimised_at = models.DateTimeField(
        null=True, blank=True, help_text="When this party's personal data was removed after they declined."
    )
    age_band = models.CharField(
        max_length=20, blank=True, db_default="", help_text="Kept for statistics when data is minimised."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Optimistic locking of the contact details: the lead and the co-mediator may edit them at once.
    # The database default lets code that predates the column (a rolling deploy) still insert parties.
    version = models.PositiveIntegerField(default=1, db_default=1)

    objects = PartyQuerySet.as_manager()

    class Meta:
        ordering = ["case", "role", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "person", "role"], name="cases_party_unique_role"),
        ]
        indexes = [
            # The offenders of a report's cohort (the cases referred in a period), read from the index alone:
            # without it PostgreSQL read every party of the program's history to find a quarter's offenders.
            models.Index(fields=["case"], include=["id", "person"], condition=Q(role="offender"),
                         name="cases_party_offenders_by_case"),
            # The parties of a number that replied STOP or START, whose cases' revision changes (migration 0026).
            models.Index(fields=["phone"], condition=~Q(phone=""), name="cases_party_by_phone"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()}, {self.case})"

    @property
    def document_language(self) -> str:
        """What this party reads what they are sent in: their language where the program offers it, else
        English (reads ``case.program``)."""
        return document_language(self.preferred_language, self.case.program.document_languages)

    @property
    def needs_interpreter(self) -> bool:
        """Asked for an interpreter, or speaks a language the program writes no documents in."""
        return self.interpreter_needed or self.document_language != self.preferred_language

    @property
    def may_email(self) -> bool:
        """Parties are emailed only when they consented to contact by email and gave an address."""
        return self.consent_to_contact and self.contact_method == self.ContactMethod.EMAIL and bool(self.email)

    @property
    def consents_to_texts(self) -> bool:
        return self.texts_consented_at is not None

    @property
    def may_text(self) -> bool:
        """Parties are texted only when they consented to texts at a phone number (stored as E.164)."""
        return self.consent_to_contact and self.texts_consented_at is not None and self.phone.startswith("+")


# A party's contact details and needs: what the case team edits after intake (one form, one service).
# Whose contact details only the case team sees (``view_victim_contact``).
VICTIM_SIDE = frozenset({Party.Role.VICTIM, Party.Role.VICTIM_REPRESENTATIVE})

CONTACT_FIELDS = [
    "preferred_language",
    "interpreter_needed",
    "accessibility_needs",
    "consent_to_contact",
    "contact_method",
    "email",
    "phone",
    "address",
    "victim_updates",
]


class Assignment(models.Model):
    """Who mediated a case, and when: reassignment ends a row and starts another, keeping history."""

    class Role(models.TextChoices):
        LEAD = "lead", "Lead mediator"
        CO = "co", "Co-mediator"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assignments")
    mediator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(max_length=4, choices=Role.choices)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="assignments_made"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case", "-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "role"],
                condition=Q(ended_at__isnull=True),
                name="cases_assignment_one_current_per_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.mediator} as {self.get_role_display()} of {self.case}"


class TimelineEvent(models.Model):
    """One thing that happened to a case. Append-only: written by services, never edited."""

    class Kind(models.TextChoices):
        CREATED = "created", "Referral received"
        EDITED = "edited", "Details edited"
        PARTY_ADDED = "party_added", "Party added"
        ASSIGNED = "assigned", "Mediators assigned"
        STAGE = "stage", "Stage changed"
        CLOSED = "closed", "Closed"
        REOPENED = "reopened", "Reopened"
        MODE = "mode", "Mode changed"
        CONTACT = "contact", "Contact attempt"
        SCREENING = "screening", "Screening recorded"
        MEETING = "meeting", "Meeting"
        SHUTTLE = "shuttle", "Indirect exchange"
        NOTE = "note", "Note added"
        AGREEMENT = "agreement", "Agreement"
        FOLLOW_UP = "follow_up", "Follow-up"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="timeline")
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    summary = models.CharField(max_length=300)
    from_stage = models.CharField(max_length=20, blank=True)
    to_stage = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["case", "-at"])]

    def __str__(self) -> str:
        return f"{self.case} {self.at:%Y-%m-%d}: {self.summary}"


class Note(models.Model):
    """A case note. Confidential notes are shown on the case page only, never in any document or export."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=10_000)
    confidential = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Note on {self.case} by {self.author}"


class OutcomeCheck(models.Model):
    """A reoffending check some months after closure, for mediated and not-mediated cases alike,
    so the program can compare the two groups."""

    class Result(models.TextChoices):
        NO = "no", "No new offense found"
        YES = "yes", "Reoffended"
        UNKNOWN = "unknown", "Could not be determined"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="outcome_checks")
    party = models.ForeignKey(
        "Party", on_delete=models.PROTECT, null=True, blank=True, related_name="outcome_checks",
        help_text="The offender checked: each offender is one person for reoffending.",
    )  # fmt: skip
    months = models.PositiveSmallIntegerField()
    due_on = models.DateField(db_index=True)
    result = models.CharField(max_length=10, choices=Result.choices, blank=True)
    offense_date = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=200, blank=True, help_text="Where the answer came from, e.g. court records.")
    checked_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "party", "months"], name="cases_outcomecheck_unique_window_party")
        ]
        # Checks still to record, by due date (the dashboard's count and the list of checks due).
        indexes = [
            models.Index(fields=["due_on", "case"], condition=Q(result=""), name="cases_outcomecheck_unrecorded"),
            # A report cohort's checks, case by case from the index alone (not every check of the history).
            models.Index(fields=["case"], include=["party", "months", "result"], name="cases_outcomecheck_by_case"),
        ]

    def __str__(self) -> str:
        return f"{self.case} at {self.months} months"


AGE_BANDS = [(0, "under 14"), (14, "14 to 17"), (18, "18 to 24"), (25, "25 to 34"), (35, "35 to 49"),
             (50, "50 to 64"), (65, "65 and over")]  # fmt: skip


def age_band(age: int | None) -> str:
    if age is None:
        return ""
    return [label for lowest, label in AGE_BANDS if age >= lowest][-1]
