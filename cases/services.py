"""Writes to cases: plain functions with keyword-only arguments, one transaction each.

Stage changes go through ``case_move``: it checks the stage graph, claims the change with a
conditional UPDATE (stage and version unchanged since the caller read the case; the same on SQLite
and PostgreSQL) and appends the timeline event in the same transaction.
"""

from dataclasses import dataclass, field
from datetime import date

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, Prefetch
from django.db.models.functions import Upper
from django.utils import timezone

from vom.audit.models import AuditEvent
from vom.audit.services import audit_record
from vom.core.claims import claim
from vom.core.dates import date_problem
from vom.core.errors import DomainError
from vom.core.phones import InvalidPhone, to_e164
from vom.notifications.models import Notification, TextOptOut

from .extensions import case_change_listeners, closure_listeners, move_handlers
from .models import (
    CONTACT_FIELDS,
    NAME_START,
    VICTIM_SIDE,
    Assignment,
    Case,
    CaseNumberCounter,
    Membership,
    Note,
    OutcomeCheck,
    Party,
    Person,
    Program,
    TimelineEvent,
    names_stored,
    new_filters_version,
)
from .rules import age_reference_date, is_juvenile
from .selectors import case_facts
from .stages import ALLOWED, OPEN_STAGES, Move, closing_outcomes, following_moves

S = Case.Stage

# Case fields a coordinator may edit after intake (stage, mediators and outcome move by services only).
EDITABLE_CASE_FIELDS = [
    "referral_source",
    "referral_date",
    "referral_type",
    "court_ordered",
    "referral_reference",
    "court_return_date",
    "offense_category",
    "offense_description",
    "incident_date",
]
# Asked beside the phone number; recorded as when and by whom (Party.texts_consented_at, _recorded_by).
TEXTS = "consents_to_texts"


def program_filters_changed(*, program_ids) -> None:
    """What the caseload filter offers for these programs changed: give each a new ``filters_version``, in the
    caller's transaction, so the next request builds its choices again (``cases.selectors.caseload_filter_choices``).
    A random value rather than a counter: see ``Program.filters_version``."""
    Program.objects.filter(pk__in=program_ids).update(filters_version=new_filters_version())


def case_numbers_reserve(*, program: Program, year: int, count: int = 1) -> list[str]:
    """Hand out ``count`` consecutive case numbers ("2026-0042") for a program and year.

    The counter row is claimed with an atomic UPDATE … SET last_value = last_value + count, which
    serialises concurrent callers on PostgreSQL and SQLite alike, so no number is given twice.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    with transaction.atomic():
        CaseNumberCounter.objects.get_or_create(program=program, year=year)
        CaseNumberCounter.objects.filter(program=program, year=year).update(last_value=F("last_value") + count)
        last = CaseNumberCounter.objects.values_list("last_value", flat=True).get(program=program, year=year)
    return [f"{year}-{n:04d}" for n in range(last - count + 1, last + 1)]


def timeline_add(
    *, case: Case, kind: str, summary: str, actor=None, from_stage: str = "", to_stage: str = ""
) -> TimelineEvent:
    return TimelineEvent.objects.create(
        case=case,
        kind=kind,
        summary=summary[:300],
        actor=actor,
        at=timezone.now(),
        from_stage=from_stage,
        to_stage=to_stage,
    )


# --- Intake and parties -------------------------------------------------------------------------


@dataclass
class PartyInput:
    """One party as entered on a form, before it is matched to a Person."""

    role: str
    kind: str = Person.Kind.INDIVIDUAL
    first_name: str = ""
    last_name: str = ""
    organisation_name: str = ""
    date_of_birth: date | None = None
    preferred_language: str = "en"
    interpreter_needed: bool = False
    accessibility_needs: str = ""
    consent_to_contact: bool = False
    contact_method: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    victim_updates: bool = False
    consents_to_texts: bool = False
    gender: str = ""
    ethnicity: str = ""
    # For a guardian: the index (in the same intake) of the offender; for a representative: of the victim.
    related_index: int | None = None
    contact: dict = field(init=False, default_factory=dict)

    def __post_init__(self):
        self.first_name, self.last_name = self.first_name.strip(), self.last_name.strip()
        self.organisation_name = self.organisation_name.strip()
        self.contact = {name: getattr(self, name) for name in [*CONTACT_FIELDS, TEXTS]}

    @property
    def display_name(self) -> str:
        if self.kind == Person.Kind.ORGANISATION:
            return self.organisation_name
        return f"{self.first_name} {self.last_name}".strip()


def _check_referral_dates(values: dict, today: date) -> list[str]:
    problems = []
    referral, incident, court = (
        values.get("referral_date"),
        values.get("incident_date"),
        values.get("court_return_date"),
    )
    if referral and referral > today:
        problems.append("The referral date cannot be in the future.")
    if incident and incident > today:
        problems.append("The incident date cannot be in the future.")
    if referral and incident and incident > referral:
        problems.append("The incident date cannot be after the referral date.")
    if referral and court and court < referral:
        problems.append("The court return date cannot be before the referral date.")
    for label, day in (("referral date", referral), ("incident date", incident), ("court return date", court)):
        if problem := date_problem(day):
            problems.append(f"The {label}: {problem}")
    return problems


def _check_party(party: PartyInput, reference_date: date | None, today: date, region: str) -> list[str]:
    problems = []
    name = party.display_name or "A party"
    if party.kind == Person.Kind.ORGANISATION:
        if party.role != Party.Role.VICTIM:
            problems.append(f"{name}: only a victim can be an organisation.")
        if not party.organisation_name:
            problems.append("An organisation victim needs its name.")
    elif not party.last_name:
        problems.append(f"Each {Party.Role(party.role).label.lower()} needs a last name.")
    if party.date_of_birth:
        if party.date_of_birth > today:
            problems.append(f"{name}: the date of birth cannot be in the future.")
        elif problem := date_problem(party.date_of_birth, today=today):
            problems.append(f"{name}: the date of birth is out of range. {problem}")
        elif reference_date and party.date_of_birth >= reference_date:
            problems.append(f"{name}: the date of birth must be before the incident date.")
    if party.role == Party.Role.OFFENDER and party.kind == Person.Kind.INDIVIDUAL and not party.date_of_birth:
        problems.append(f"{name}: an offender's date of birth is needed to tell whether they are a juvenile.")
    return problems + _check_contact(name, party.contact, party.role, region)


def _check_contact(name: str, contact: dict, role: str = "", region: str = "", *, new_phone: bool = True) -> list[str]:
    """What is wrong with these contact details; a new phone number is rewritten in ``contact`` as E.164
    (one recorded before numbers were checked stays as it is until someone changes it)."""
    problems = []
    method = contact.get("contact_method")
    if new_phone and contact.get("phone"):
        try:
            contact["phone"] = to_e164(contact["phone"], region)
        except InvalidPhone as error:
            problems.append(f"{name}: {error}")
    if contact.get(TEXTS):
        if not (contact.get("consent_to_contact") and contact.get("phone")):
            problems.append(f"{name}: texts need consent to be contacted and a phone number.")
        elif stopped := TextOptOut.objects.filter(number=contact["phone"]).first():
            problems.append(
                f"{name}: this number replied {stopped.keyword} to the program's texts on {stopped.at:%b %-d, %Y}; "
                "texts can start again only after it replies START."
            )
    if contact.get("victim_updates"):
        if role and role not in VICTIM_SIDE:
            problems.append(f"{name}: progress updates are for the victim or an organisation's representative.")
        elif not (contact.get("consent_to_contact") and method == Party.ContactMethod.EMAIL and contact.get("email")):
            problems.append(
                f"{name}: progress updates go by email: tick consent to contact, choose email and give the address."
            )
    if contact.get("consent_to_contact") and method == Party.ContactMethod.EMAIL and not contact.get("email"):
        problems.append(f"{name}: contact by email was chosen but no email address was given.")
    if contact.get("consent_to_contact") and method == Party.ContactMethod.PHONE and not contact.get("phone"):
        problems.append(f"{name}: contact by phone was chosen but no phone number was given.")
    if method == Party.ContactMethod.POST and not contact.get("address"):
        problems.append(f"{name}: contact by post was chosen but no address was given.")
    return problems


def _check_party_set(parties: list[PartyInput], program: Program, reference_date: date | None) -> list[str]:
    problems = []
    roles = [p.role for p in parties]
    if Party.Role.OFFENDER not in roles:
        problems.append("A case needs at least one offender.")
    if Party.Role.VICTIM not in roles:
        problems.append("A case needs at least one victim.")
    for index, party in enumerate(parties):
        if party.related_index is not None and not 0 <= party.related_index < len(parties):
            problems.append(f"{party.display_name}: the related party does not belong to this case.")
            continue
        related = parties[party.related_index] if party.related_index is not None else None
        if party.role == Party.Role.GUARDIAN and (related is None or related.role != Party.Role.OFFENDER):
            problems.append(f"{party.display_name}: a guardian must be linked to an offender of this case.")
        if party.role == Party.Role.VICTIM_REPRESENTATIVE and (
            related is None or related.role != Party.Role.VICTIM or related.kind != Person.Kind.ORGANISATION
        ):
            problems.append(f"{party.display_name}: a representative must be linked to an organisation victim.")
        if party.role == Party.Role.OFFENDER and is_juvenile(party.date_of_birth, reference_date):
            has_guardian = any(p.role == Party.Role.GUARDIAN and p.related_index == index for p in parties)
            if not has_guardian:
                problems.append(
                    f"{party.display_name} is a juvenile (under 18 on the incident date): add a parent or guardian."
                )
        if party.role == Party.Role.VICTIM and party.kind == Person.Kind.ORGANISATION:
            if not program.accepts_organisation_victims:
                problems.append(f"{program.name} does not accept organisations as victims.")
            if not any(p.role == Party.Role.VICTIM_REPRESENTATIVE and p.related_index == index for p in parties):
                problems.append(f"{party.display_name}: an organisation victim needs a named representative.")
    return problems


def person_match(party: PartyInput) -> Person | None:
    """A likely existing person: same name (ignoring case) and date of birth, or same organisation name."""
    if party.kind == Person.Kind.ORGANISATION:
        return (
            Person.objects.filter(kind=Person.Kind.ORGANISATION, organisation_name__iexact=party.organisation_name)
            .order_by("pk")
            .first()
        )
    if not party.date_of_birth:
        return None
    return (
        Person.objects.filter(
            kind=Person.Kind.INDIVIDUAL,
            first_name__iexact=party.first_name,
            last_name__iexact=party.last_name,
            date_of_birth=party.date_of_birth,
        )
        .order_by("pk")
        .first()
    )


def _person_for(party: PartyInput) -> Person:
    existing = person_match(party)
    if existing is not None:
        return existing
    return Person.objects.create(
        kind=party.kind,
        first_name=party.first_name,
        last_name=party.last_name,
        organisation_name=party.organisation_name,
        date_of_birth=party.date_of_birth,
        gender=party.gender,
        ethnicity=party.ethnicity,
    )


def _texts_consent(wanted: bool | None, consented_at, actor) -> dict:
    """The fields that record consent to texts given (now, by the actor) or withdrawn, if it changes."""
    if wanted and consented_at is None:
        return {"texts_consented_at": timezone.now(), "texts_consent_recorded_by": actor}
    if wanted is False and consented_at is not None:
        return {"texts_consented_at": None, "texts_consent_recorded_by": None}
    return {}


def _party_fields(party: PartyInput, actor) -> dict:
    contact = {name: value for name, value in party.contact.items() if name != TEXTS}
    return contact | _texts_consent(party.contact.get(TEXTS), None, actor)


def _create_parties(case: Case, parties: list[PartyInput], actor) -> list[Party]:
    """Create parties in order, so a guardian's offender (an earlier index) already exists."""
    created: list[Party] = []
    for party in parties:
        related = created[party.related_index] if party.related_index is not None else None
        created.append(
            Party.objects.create(
                case=case,
                person=_person_for(party),
                role=party.role,
                related_party=related,
                **_party_fields(party, actor),
            )
        )
    return created


def _juvenile_flags(case_ids) -> dict[int, tuple[bool, bool]]:
    """Per case of ``case_ids``: (the stored ``juvenile``, the flag computed from the offenders' birth dates)."""
    offenders = Prefetch("parties", queryset=Party.objects.filter(role=Party.Role.OFFENDER).select_related("person"))
    flags = {}
    cases = Case.objects.filter(pk__in=case_ids, anonymised_at__isnull=True)  # see juvenile_keys
    for case in cases.order_by().prefetch_related(offenders):
        reference = case.age_reference_date
        flags[case.pk] = case.juvenile, any(is_juvenile(p.person.date_of_birth, reference) for p in case.parties.all())
    return flags


def refresh_juvenile(case_ids) -> int:
    """Keep ``Case.juvenile`` true to the offenders' birth dates and the incident (or referral) date:
    called wherever an offender, a birth date or those dates change. Returns how many cases changed."""
    changed = {pk: computed for pk, (stored, computed) in _juvenile_flags(case_ids).items() if stored != computed}
    for value in (True, False):
        Case.objects.filter(pk__in=[pk for pk, computed in changed.items() if computed == value]).update(juvenile=value)
    return len(changed)


# --- Case.juvenile as a read model (vom.core.read_models): rebuilt and checked by manage.py rebuild_read_models --


def juvenile_keys():
    """The cases whose flag is derived: not anonymised ones, whose birth dates retention cut to the year, so
    the flag kept from before is the record now (the reports still count juveniles among them)."""
    return Case.objects.filter(anonymised_at__isnull=True).order_by("pk").values_list("pk", flat=True)


def juvenile_differences(case_ids: list[int]) -> list[str]:
    return [
        f"case {pk}: juvenile stored {stored}, recomputed {computed}"
        for pk, (stored, computed) in sorted(_juvenile_flags(case_ids).items())
        if stored != computed
    ]


# --- Case.party_names as a read model: kept by PostgreSQL triggers (cases migration 0022), checked against -------
# --- the parties here and rebuilt through the triggers' own function by manage.py rebuild_read_models -----------


def party_names_keys():
    """Every case where the names are stored (PostgreSQL); none elsewhere, where the search reads the parties."""
    if not names_stored():
        return Case.objects.none().values_list("pk", flat=True)
    return Case.objects.order_by("pk").values_list("pk", flat=True)


def direct_party_names(case_ids) -> dict[int, str]:
    """What ``Case.party_names`` should hold, from the parties' people: each distinct non-empty first, last and
    organisation name, upper-cased by the database (as the search does), '|' inside a name made a space, in
    code-point order, each one started and the last ended by '|'; '' for a case without names."""
    names: dict[int, set[str]] = {pk: set() for pk in case_ids}
    fields = ("person__first_name", "person__last_name", "person__organisation_name")
    rows = Party.objects.filter(case_id__in=case_ids).order_by().values_list("case_id", *(Upper(f) for f in fields))
    for case_id, *found in rows:
        names[case_id].update(name.replace(NAME_START, " ") for name in found if name)
    return {pk: f"|{'|'.join(sorted(found))}|" if found else "" for pk, found in names.items()}


def party_names_differences(case_ids: list[int]) -> list[str]:
    stored = dict(Case.objects.filter(pk__in=case_ids).values_list("pk", "party_names"))
    return [
        f"case {pk}: party names stored {stored[pk]!r}, recomputed {computed!r}"
        for pk, computed in sorted(direct_party_names(stored).items())
        if stored[pk] != computed
    ]


def party_names_rebuild(case_ids: list[int]) -> int:
    """Recompute the batch's stored names (writing to the column makes its trigger recompute it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_case SET party_names = '' WHERE id = ANY(%s) "
            "AND party_names IS DISTINCT FROM cases_case_names(id)",
            [list(case_ids)],
        )
        return cursor.rowcount


@transaction.atomic
def case_intake(*, program: Program, actor, referral: dict, parties: list[PartyInput]) -> Case:
    """Record a referral with its parties; people already known (same name and birth date) are linked."""
    today = timezone.localdate()
    reference_date = age_reference_date(referral.get("incident_date"), referral.get("referral_date"))
    problems = _check_referral_dates(referral, today)
    for party in parties:
        problems += _check_party(party, reference_date, today, program.phone_region)
    problems += _check_party_set(parties, program, reference_date)
    source = referral.get("referral_source")
    if source is not None and source.program_id != program.pk:
        problems.append("The referral source belongs to another program.")
    if problems:
        raise DomainError("The referral was not saved.", problems)
    (number,) = case_numbers_reserve(program=program, year=referral["referral_date"].year)
    case = Case.objects.create(program=program, number=number, stage_changed_at=timezone.now(), **referral)
    _create_parties(case, parties, actor)
    refresh_juvenile([case.pk])
    case.refresh_from_db(fields=["juvenile"])
    timeline_add(
        case=case, kind=TimelineEvent.Kind.CREATED, summary=f"Referral from {case.referral_source}", actor=actor
    )
    return case


@transaction.atomic
def party_add(*, case: Case, actor, party: PartyInput, guardian: PartyInput | None = None) -> Party:
    """Add one party (with the guardian a juvenile offender needs) to an open case."""
    if case.stage == S.CLOSED:
        raise DomainError("A closed case cannot take new parties; reopen it first.")
    today = timezone.localdate()
    reference_date = case.age_reference_date
    batch = [party] + ([guardian] if guardian else [])
    if guardian is not None:
        guardian.role, guardian.related_index = Party.Role.GUARDIAN, 0
    region = case.program.phone_region
    problems = [p for item in batch for p in _check_party(item, reference_date, today, region)]
    if party.role in {Party.Role.GUARDIAN, Party.Role.VICTIM_REPRESENTATIVE}:
        problems.append("Add a guardian or representative from the party they stand for.")
    if party.role == Party.Role.OFFENDER and is_juvenile(party.date_of_birth, reference_date) and guardian is None:
        problems.append(
            f"{party.display_name} is a juvenile (under 18 on the incident date): add a parent or guardian."
        )
    if party.kind == Person.Kind.ORGANISATION:
        problems.append("Add organisation victims at intake, with their representative.")
    if problems:
        raise DomainError("The party was not added.", problems)
    created = _create_parties(case, batch, actor)
    refresh_juvenile([case.pk])
    summary = f"{created[0].person} added as {created[0].get_role_display().lower()}"
    if guardian is not None:
        summary += f", with {created[1].person} as parent/guardian"
    timeline_add(case=case, kind=TimelineEvent.Kind.PARTY_ADDED, summary=summary, actor=actor)
    return created[0]


@transaction.atomic
def party_add_supporter(*, case: Case, actor, supporter: PartyInput, for_party: Party) -> Party:
    """Add a guardian to an offender, a representative to an organisation victim, or a support person."""
    if for_party.case_id != case.pk:
        raise DomainError("That party does not belong to this case.")
    needs = {
        Party.Role.GUARDIAN: (Party.Role.OFFENDER, "A parent or guardian must be linked to an offender."),
        Party.Role.VICTIM_REPRESENTATIVE: (Party.Role.VICTIM, "A representative must be linked to a victim."),
        Party.Role.SUPPORT: (None, ""),
    }
    if supporter.role not in needs:
        raise DomainError("Choose guardian, victim representative or support person.")
    wanted_role, message = needs[supporter.role]
    if wanted_role and for_party.role != wanted_role:
        raise DomainError(message)
    problems = _check_party(supporter, case.age_reference_date, timezone.localdate(), case.program.phone_region)
    if problems:
        raise DomainError("The party was not added.", problems)
    party = Party.objects.create(
        case=case, person=_person_for(supporter), role=supporter.role, related_party=for_party,
        **_party_fields(supporter, actor),
    )  # fmt: skip
    timeline_add(
        case=case,
        kind=TimelineEvent.Kind.PARTY_ADDED,
        summary=f"{party.person} added as {party.get_role_display().lower()} for {for_party.person}",
        actor=actor,
    )
    return party


@transaction.atomic
def party_update_contact(*, party: Party, expected_version: int, actor, contact: dict, request=None) -> Party:
    """Change a party's language, needs, consent and contact details, if nobody saved them since
    ``expected_version`` was read (the lead and the co-mediator may have the form open at once). With the
    ``request`` it came from, the change is audited in the same transaction (confidential values masked)."""
    unknown = set(contact) - {*CONTACT_FIELDS, TEXTS}
    if unknown:
        raise DomainError(f"Not a contact field: {', '.join(sorted(unknown))}.")
    merged = {name: contact.get(name, getattr(party, name)) for name in [*CONTACT_FIELDS, TEXTS]}
    new_phone = contact.get("phone", party.phone) != party.phone
    problems = _check_contact(
        str(party.person), merged, party.role, party.case.program.phone_region, new_phone=new_phone
    )
    if problems:
        raise DomainError("The contact details were not saved.", problems)
    fields = {name: merged[name] for name in contact if name != TEXTS and getattr(party, name) != merged[name]}
    texts = _texts_consent(merged[TEXTS] if TEXTS in contact else None, party.texts_consented_at, actor)
    if request is not None:
        diff = {name: (getattr(party, name), value) for name, value in fields.items()}
        if texts:
            diff["consent to texts"] = (party.consents_to_texts, not party.consents_to_texts)
        audit_record(request=request, action=AuditEvent.Action.CHANGE, what=f"party {party.pk} contact",
                     case_id=party.case_id, changes=diff)  # fmt: skip
    if not fields and not texts and party.version == expected_version:
        return party
    claim(
        Party.objects.filter(pk=party.pk, version=expected_version),
        stale=f"Someone else saved the details of {party.person} while you were editing them. Nothing of yours "
        "was saved: compare with what is saved now, below, and save again.",
        **fields, **texts, version=F("version") + 1,
    )  # fmt: skip
    old_email, old_phone = party.email, party.phone
    for name, value in (fields | texts).items():
        setattr(party, name, value)
    party.version = expected_version + 1
    if {"email", "consent_to_contact", "contact_method"} & set(fields):
        _reroute_pending(party, field="email", old=old_email, allowed=party.may_email)
    if {"phone", "consent_to_contact"} & set(fields) or texts:
        _reroute_pending(party, field="phone", old=old_phone, allowed=party.may_text)
    # Field names only: values may be a victim's address and must not sit in the timeline.
    labels = [Party._meta.get_field(name).verbose_name for name in fields]
    if texts:
        labels.append("consent to text messages" + (" given" if party.texts_consented_at else " withdrawn"))
    timeline_add(
        case=party.case,
        kind=TimelineEvent.Kind.EDITED,
        summary=f"Contact details of {party.person}: {', '.join(labels)}",
        actor=actor,
    )
    return party


def _reroute_pending(party: Party, *, field: str, old: str, allowed: bool) -> int:
    """Reminders already queued for a party follow a change of their address (``field``: email or phone)
    or consent: to the new one, or cancelled when that channel may no longer be used (a changed address
    must not leave them going to the old one). Returns how many were changed."""
    if not old:
        return 0
    pending = Notification.objects.filter(
        case_id=party.case_id, name=str(party.person), status=Notification.Status.PENDING, **{field: old}
    )
    if allowed:
        return pending.update(**{field: getattr(party, field)})
    return pending.update(status=Notification.Status.CANCELLED)


# --- Case edits (optimistic locking) ---------------------------------------------------------------


@transaction.atomic
def case_update(*, case: Case, expected_version: int, actor, changes: dict, request=None) -> Case:
    """Save referral details if nobody saved the case since ``expected_version`` was read. With the ``request``
    it came from, the change is audited in the same transaction."""
    unknown = set(changes) - set(EDITABLE_CASE_FIELDS)
    if unknown:
        raise DomainError(f"These fields cannot be edited here: {', '.join(sorted(unknown))}.")
    source = changes.get("referral_source")
    if source is not None and source.program_id != case.program_id:
        raise DomainError("The referral source belongs to another program.")
    merged = {name: changes.get(name, getattr(case, name)) for name in EDITABLE_CASE_FIELDS}
    problems = _check_referral_dates(merged, timezone.localdate())
    if problems:
        raise DomainError("The case was not saved.", problems)
    changed = [name for name in EDITABLE_CASE_FIELDS if name in changes and changes[name] != getattr(case, name)]
    claim(
        Case.objects.filter(pk=case.pk, version=expected_version),
        stale="Someone else saved this case while you were editing it. Nothing of yours was saved: "
        "compare with the current version below and enter your changes again.",
        **{name: changes[name] for name in changed}, version=F("version") + 1, updated_at=timezone.now(),
    )  # fmt: skip
    if request is not None:
        diff = {name: (getattr(case, name), value) for name, value in changes.items() if getattr(case, name) != value}
        audit_record(request=request, action=AuditEvent.Action.CHANGE, what="case referral", case_id=case.pk,
                     changes=diff)  # fmt: skip
    if {"incident_date", "referral_date"} & set(changed):
        refresh_juvenile([case.pk])
    if changed:
        labels = ", ".join(Case._meta.get_field(name).verbose_name for name in changed)
        timeline_add(case=case, kind=TimelineEvent.Kind.EDITED, summary=f"Edited: {labels}", actor=actor)
    case.refresh_from_db()
    return case


# --- Stage moves ----------------------------------------------------------------------------------


def case_move(
    *,
    case: Case,
    to_stage: str,
    expected_version: int,
    actor,
    summary: str,
    outcome: str = "",
    outcome_reason: str = "",
    updates: dict | None = None,
) -> Case:
    """The one generic stage move. Callers check their guard first, inside their own transaction."""
    if to_stage not in ALLOWED.get(case.stage, set()):
        raise DomainError(f"A case in {Case.Stage(case.stage).label} cannot move to {Case.Stage(to_stage).label}.")
    now = timezone.now()
    fields = {"stage": to_stage, "version": F("version") + 1, "stage_changed_at": now, "updated_at": now}
    if to_stage == S.CLOSED:
        if not outcome:
            raise DomainError("Closing a case needs an outcome.")
        fields |= {
            "outcome": outcome,
            "outcome_reason": outcome_reason,
            "closed_at": now,
            "closed_from_stage": case.stage,
        }
    else:
        fields |= {"outcome": "", "outcome_reason": "", "closed_at": None}
    fields |= updates or {}
    with transaction.atomic():
        claim(
            Case.objects.filter(pk=case.pk, stage=case.stage, version=expected_version),
            stale="This case was changed by someone else since you opened it. Nothing was changed: reload the page.",
            **fields,
        )
        for listener in case_change_listeners():  # what the apps above copy of the stage and mediators
            listener(case_id=case.pk)
        timeline_add(
            case=case,
            kind=TimelineEvent.Kind.CLOSED if to_stage == S.CLOSED else TimelineEvent.Kind.STAGE,
            summary=summary,
            actor=actor,
            from_stage=case.stage,
            to_stage=to_stage,
        )
        if to_stage == S.CLOSED:
            _schedule_outcome_checks(case, timezone.localtime(now).date())
        elif case.stage == S.CLOSED:
            OutcomeCheck.objects.filter(case=case, result="").delete()  # reopened: checks restart at the next closure
        case.refresh_from_db()
        if to_stage == S.CLOSED:
            for listener in closure_listeners():  # the letter to the referral source, the victim's update
                listener(case=case, actor=actor)
    return case


def case_advance(*, case: Case, actor) -> list[Move]:
    """Take the moves that follow by themselves (``Move.follows``) while their guard is met: called right after
    a mediator records the work that may meet it (the last screening, the second preparation, the session's
    agreement). Decisions (closing, returning, the mode) are never taken here. Each move is the explicit move's
    own service, in its own transaction, so what was recorded stays whatever happens to the move: if someone
    changed the case meanwhile, the move waits for its button. Returns the moves taken, in order."""
    taken = []
    for _ in OPEN_STAGES:  # at most one move per stage
        fresh = Case.objects.get(pk=case.pk)
        handlers = move_handlers()
        ready = next(
            (
                (m, handlers[m.name])
                for m in following_moves(fresh.stage)
                if not handlers[m.name].guard(case_facts(fresh, apps={m.owner}))
            ),
            None,
        )
        if ready is None:
            break
        move, handler = ready
        try:
            handler.perform(case=fresh, expected_version=fresh.version, actor=actor)
        except DomainError:
            break
        taken.append(move)
    return taken


def _schedule_outcome_checks(case: Case, closed_on: date) -> None:
    """Reoffending checks at the program's windows after closure (6, 12 and 30 months by default), one per
    offender: each offender is one person for reoffending."""
    program = Program.objects.get(pk=case.program_id)
    recorded = set(OutcomeCheck.objects.filter(case=case).exclude(result="").values_list("party_id", "months"))
    OutcomeCheck.objects.filter(case=case, result="").delete()
    offenders = Party.objects.filter(case=case, role=Party.Role.OFFENDER).order_by("pk").values_list("pk", flat=True)
    OutcomeCheck.objects.bulk_create(
        OutcomeCheck(case=case, party_id=party_id, months=months, due_on=closed_on + relativedelta(months=months))
        for party_id in offenders
        for months in program.check_windows
        if (party_id, months) not in recorded
    )


@transaction.atomic
def outcome_check_record(
    *, check: OutcomeCheck, actor, result: str, checked_on: date, source: str, offense_date: date | None = None
) -> OutcomeCheck:
    problems = []
    today = timezone.localdate()
    if result not in OutcomeCheck.Result.values:
        problems.append("Choose what the check found.")
    if checked_on > today:
        problems.append("The check cannot be dated in the future.")
    if not source.strip():
        problems.append("Say where the answer came from (for example, court records).")
    if result == OutcomeCheck.Result.YES:
        closed_on = timezone.localtime(check.case.closed_at).date() if check.case.closed_at else None
        if offense_date is None:
            problems.append("Give the date of the new offense.")
        elif offense_date > today or (closed_on and offense_date < closed_on):
            problems.append("The new offense must fall between the closure and today.")
    elif offense_date is not None:
        problems.append("A date of a new offense goes only with 'Reoffended'.")
    if problems:
        raise DomainError("The check was not recorded.", problems)
    OutcomeCheck.objects.filter(pk=check.pk).update(
        result=result, checked_on=checked_on, source=source.strip(), offense_date=offense_date, recorded_by=actor
    )
    timeline_add(
        case=check.case,
        kind=TimelineEvent.Kind.FOLLOW_UP,
        summary=f"{check.months}-month reoffending check: {OutcomeCheck.Result(result).label.lower()}",
        actor=actor,
    )
    check.refresh_from_db()
    return check


def eligible_mediators(program: Program):
    return get_user_model().objects.filter(
        is_active=True, memberships__program=program, memberships__role=Membership.Role.MEDIATOR
    )


@transaction.atomic
def case_assign(*, case: Case, expected_version: int, actor, lead, co=None) -> Case:
    """Assign (or reassign) the lead and co-mediator; a referred case moves on to screening."""
    if case.stage == S.CLOSED:
        raise DomainError("A closed case cannot be assigned; reopen it first.")
    problems = []
    mediators = set(eligible_mediators(case.program).filter(pk__in=[u.pk for u in (lead, co) if u]))
    if lead is None:
        problems.append("Choose a lead mediator.")
    elif lead not in mediators:
        problems.append(f"{lead} is not an active mediator of {case.program}.")
    if co is not None and co not in mediators:
        problems.append(f"{co} is not an active mediator of {case.program}.")
    if lead is not None and co is not None and lead.pk == co.pk:
        problems.append("The co-mediator must be someone other than the lead mediator.")
    if problems:
        raise DomainError("The mediators were not assigned.", problems)

    now = timezone.now()
    for role, user in ((Assignment.Role.LEAD, lead), (Assignment.Role.CO, co)):
        current = Assignment.objects.filter(case=case, role=role, ended_at__isnull=True).first()
        if current and (user is None or current.mediator_id != user.pk):
            Assignment.objects.filter(pk=current.pk).update(ended_at=now)
        if user is not None and (current is None or current.mediator_id != user.pk):
            Assignment.objects.create(case=case, mediator=user, role=role, assigned_by=actor, started_at=now)
    summary = f"Lead mediator {lead}" + (f", co-mediator {co}" if co else ", no co-mediator")
    updates = {"lead_mediator": lead, "co_mediator": co}
    if case.stage == S.REFERRED:
        return case_move(
            case=case, to_stage=S.SCREENING, expected_version=expected_version, actor=actor,
            summary=f"Assigned. {summary}. Screening begins.", updates=updates,
        )  # fmt: skip
    claim(
        Case.objects.filter(pk=case.pk, version=expected_version),
        stale="This case was changed by someone else since you opened it. Nothing was changed.",
        **updates, version=F("version") + 1, updated_at=now,
    )  # fmt: skip
    for listener in case_change_listeners():
        listener(case_id=case.pk)
    timeline_add(case=case, kind=TimelineEvent.Kind.ASSIGNED, summary=f"Reassigned. {summary}.", actor=actor)
    case.refresh_from_db()
    return case


@transaction.atomic
def case_close(*, case: Case, expected_version: int, actor, outcome: str, reason: str) -> Case:
    """A coordinator closes an open case with an outcome code and a reason."""
    if case.stage == S.CLOSED:
        raise DomainError("This case is already closed.")
    if outcome not in closing_outcomes(case.stage):
        raise DomainError(
            f"Choose how the case ended; “{Case.Outcome(outcome).label if outcome in Case.Outcome.values else outcome}”"
            f" is not possible in {case.get_stage_display().lower()}."
            if outcome
            else "Choose how the case ended."
        )
    if not reason.strip():
        raise DomainError("Give the reason for closing the case.")
    label = Case.Outcome(outcome).label
    return case_move(
        case=case, to_stage=S.CLOSED, expected_version=expected_version, actor=actor,
        summary=f"Closed: {label}. {reason.strip()}", outcome=outcome, outcome_reason=reason.strip(),
    )  # fmt: skip


@transaction.atomic
def case_reopen(*, case: Case, expected_version: int, actor, reason: str) -> Case:
    """A coordinator reopens a closed case at the stage it was closed from."""
    if case.stage != S.CLOSED:
        raise DomainError("Only a closed case can be reopened.")
    if not reason.strip():
        raise DomainError("Give the reason for reopening the case.")
    target = case.closed_from_stage or (S.SCREENING if case.lead_mediator_id else S.REFERRED)
    if target not in OPEN_STAGES:
        target = S.SCREENING if case.lead_mediator_id else S.REFERRED
    return case_move(
        case=case, to_stage=target, expected_version=expected_version, actor=actor,
        summary=f"Reopened at {Case.Stage(target).label}. {reason.strip()}",
    )  # fmt: skip


@transaction.atomic
def note_add(*, case: Case, actor, body: str, confidential: bool) -> Note:
    body = body.strip()
    if not body:
        raise DomainError("A note cannot be empty.")
    note = Note.objects.create(case=case, author=actor, body=body, confidential=confidential, created_at=timezone.now())
    # The timeline shows that a note exists, never its text.
    timeline_add(
        case=case,
        kind=TimelineEvent.Kind.NOTE,
        summary="Confidential note added" if confidential else "Note added",
        actor=actor,
    )
    return note
