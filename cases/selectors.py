"""Reads that more than one view needs."""

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BooleanField, CharField, Count, Exists, F, Func, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import TimeFormat
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.translation import get_language

from vom.audit.models import AuditEvent
from vom.core.cache import derived
from vom.core.forms import Fragments, RenderedChoices
from vom.core.pagination import KeysetOrder, KeysetPage, keyset_page
from vom.core.precompiled import Precompiled
from vom.core.reversing import reverse_once
from vom.notifications.models import Notification, TextOptOut

from .extensions import (
    CaseFacts,
    NextAction,
    annotations,
    built_once,
    case_next_action_providers,
    fact_loaders,
    next_action_providers,
)
from .models import (
    Case,
    CaseRevision,
    Membership,
    Note,
    Party,
    Person,
    Program,
    ReferralSource,
    TimelineEvent,
    user_roles,
)
from .stages import FALLBACK_ACTIONS


def membership_requires_two_factor(user) -> bool:
    """Named in ``settings.VOM_TWO_FACTOR_ROLE_CHECKS`` for vom/users: coordinators, and mediators of a
    program that asks for it, must sign in with a second factor."""
    return user_roles(user).membership_requires_two_factor


def get_case_for_user(user, pk: int, queryset=None) -> Case:
    """The case if the user may see it; 404 otherwise, so outsiders learn nothing of its existence."""
    qs = (queryset if queryset is not None else Case.objects.all()).visible_to(user)
    try:
        return qs.get(pk=pk)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None


# --- The caseload ------------------------------------------------------------------------------------


def _mediator_choices(users: Q) -> RenderedChoices:
    rows = get_user_model().objects.filter(users).order_by("last_name", "first_name", "pk")
    names = rows.values_list("pk", "first_name", "last_name", "username")
    return RenderedChoices((pk, _user_name(*name)) for pk, *name in names)


def _program_filter_choices(coordinated, scope) -> dict[str, RenderedChoices]:
    """The filter's choices that follow from programs alone (``None``: every program, for superusers), each
    option's HTML written once with them."""
    run = {} if coordinated is None else {"program_id__in": coordinated}
    in_scope = {} if scope is None else {"program_id__in": scope}
    programs = Program.objects.all() if scope is None else Program.objects.filter(pk__in=scope)
    return {
        "mediators": _mediator_choices(
            Q(pk__in=Membership.objects.filter(role=Membership.Role.MEDIATOR, **run).values("user_id"))
        ),
        "sources": RenderedChoices(
            ReferralSource.objects.filter(**in_scope).order_by("name", "pk").values_list("pk", "name")
        ),
        "programs": RenderedChoices(programs.order_by("name", "pk").values_list("pk", "name")),
    }


def _keyed(key: str, choices: dict[str, RenderedChoices]) -> dict[str, RenderedChoices]:
    """Each of ``choices`` saying it is kept under ``key`` (what is written from it alone may be kept too)."""
    return {name: rendered.keyed(f"{key}:{name}") for name, rendered in choices.items()}


FILTERS_FORMAT = 3  # raised whenever what is cached changes shape, so no process reads another's format


def caseload_filter_choices(user) -> dict[str, RenderedChoices]:
    """The caseload filter's mediators, referral sources and programs for ``user``, as (id, label).

    Coordinators choose among their programs' mediators; a mediator among those on their own cases (the
    roster of a program's volunteers is not theirs to browse, and a long list helps nobody). What follows
    from the user's programs alone is built once and kept in the cache under the programs' ``filters_version``
    (read with the user's roles), which every change to those choices replaces in its own transaction; a
    mediator's colleagues follow from their cases' assignments (``_colleague_choices``).
    """
    if user.is_superuser:
        return _program_filter_choices(None, None)  # every program's: admins are few, their list is not kept
    roles = user_roles(user)
    coordinated = sorted(roles.coordinator_of)
    scope = sorted(roles.coordinator_of | roles.mediator_of)
    versions = ",".join(f"{program}.{version}" for program, version in roles.filters_versions)
    key = f"caseload-filters:{FILTERS_FORMAT}:{versions}:{','.join(map(str, coordinated))}"
    choices = derived(key, lambda: _keyed(key, _program_filter_choices(coordinated, scope)))
    mediated = roles.mediator_of - roles.coordinator_of
    if mediated:
        choices = {**choices, "mediators": _colleague_choices(user, mediated, coordinated, key)}
    return choices


COLLEAGUES = Fragments(kept=1024)


def _colleague_choices(user, mediated, coordinated: list[int], programs_key: str) -> RenderedChoices:
    """A mediator's choice of mediators: whoever leads or co-mediates one of their cases, and the mediators of the
    programs they coordinate. The ids are read on each request (one indexed query); the names, and each option's
    HTML, are kept in this process under those ids and the programs' filter versions (``programs_key``), which
    renaming any of them replaces (``cases.receivers``): the same HTML from the second request on."""
    own = Case.objects.visible_to(user).filter(program_id__in=mediated)
    pairs = own.order_by().values_list("lead_mediator_id", "co_mediator_id").distinct()
    ids = sorted({pk for pair in pairs for pk in pair if pk is not None})
    key = f"{programs_key}:colleagues:{user.pk}:" + hashlib.sha256(repr(ids).encode()).hexdigest()

    def named() -> RenderedChoices:
        runs = Membership.objects.filter(role=Membership.Role.MEDIATOR, program_id__in=coordinated)
        return _mediator_choices(Q(pk__in=runs.values("user_id")) | Q(pk__in=ids)).keyed(key)

    return COLLEAGUES.get(key, named)


def filter_caseload(cases, filters: dict, now):
    """``cases`` narrowed by the caseload filter form's cleaned data (the list and its CSV export)."""
    if filters.get("q"):
        cases = cases.search(filters["q"])
    if filters.get("stage") == "open":
        cases = cases.open()
    elif filters.get("stage"):
        cases = cases.filter(stage=filters["stage"])
    for name, lookup in [("offense", "offense_category"), ("source", "referral_source"),
                         ("program", "program"), ("outcome", "outcome"), ("referred_from", "referral_date__gte"),
                         ("referred_to", "referral_date__lte")]:  # fmt: skip
        if filters.get(name):
            cases = cases.filter(**{lookup: filters[name]})
    if filters.get("mediator"):
        cases = cases.filter(Q(lead_mediator=filters["mediator"]) | Q(co_mediator=filters["mediator"]))
    if filters.get("overdue"):
        cases = cases.overdue(now)
    if filters.get("reached"):
        cases = cases.reached(filters["reached"])
    if filters.get("mediated"):
        cases = cases.mediated(filters["mediated"] == "yes")
    if filters.get("juvenile"):
        cases = cases.juvenile(filters["juvenile"] == "yes")
    return cases


def filtered_caseload(form, cases, now):
    """``cases`` narrowed by a ``CaseloadFilterForm``; none while its filters are invalid (the form says why)."""
    if form.is_bound and not form.is_valid():
        return cases.none()
    return filter_caseload(cases, form.cleaned_data if form.is_bound else {}, now)


# A name search counts its matches this far ("More than 500 cases"): each match is a case row read from the heap
# (the trigram index cannot answer a count alone), 3,900 of them for a common name at 100,000 cases, and one who
# searches by name looks for a case, not for how many there are past ten pages.
SEARCH_COUNT_BOUND = 500


def caseload_page(user, form, params, *, path: str, per_page: int) -> KeysetPage:
    """The caseload page an address asks for (``params``: its query, ``form`` bound to it), in the form's sort:
    "Next" and "Previous" seek past their row's sort key (``vom.core.pagination.keyset_page``). Counted without
    the joins the rows' names need (they cost more than the count), and only so far."""
    now = timezone.now()
    cases = filtered_caseload(form, Case.objects.visible_to(user), now)
    sort = (form.cleaned_data.get("sort") if form.is_bound and form.is_valid() else "") or "-referral_date"
    listed = cases.for_caseload_page().with_overdue(now)
    order = KeysetOrder.of(Case, sort)
    searched = form.is_bound and form.is_valid() and form.cleaned_data.get("q", "").strip()
    bound = SEARCH_COUNT_BOUND if searched else None
    return keyset_page(listed, order=order, params=params, path=path, per_page=per_page, counted=cases, bound=bound)


STAGE_LABELS = dict(Case.Stage.choices)
OFFENSE_LABELS = dict(Case.OffenseCategory.choices)
ROLE_LABELS = {role: label.lower() for role, label in Party.Role.choices}
LISTED_ROLES = (Party.Role.OFFENDER, Party.Role.VICTIM)


def month_abbreviations() -> dict[int, str]:
    """The months as the ``date`` filter's "M" writes them in the active language (read once per list)."""
    return {month: str(name).title() for month, name in MONTHS_3.items()}


def short_date(day, months: dict[int, str]) -> str:
    """``day`` as ``{{ day|date:"M j, Y" }}`` writes it (Mar 4, 2026), without the filter's machinery per row."""
    return f"{months[day.month]} {day.day}, {day.year}" if day else ""


def day_and_date(day, months: dict[int, str]) -> str:
    """``day`` as ``{{ day|date:"D M j" }}`` writes it (Wed Mar 4)."""
    return f"{WEEKDAYS_ABBR[day.weekday()]} {months[day.month]} {day.day}" if day else ""


def _user_name(first: str | None, last: str | None, username: str | None) -> str:
    """What ``str(user)`` says (full name, else username), from plain values."""
    return f"{first or ''} {last or ''}".strip() or (username or "")


# Compiled once per process and number of cases (fifty on a caseload page, a mediator's open cases at home): the
# ordering's CASE expression cost more to compile than the query to run.
_LISTED_PARTIES = Precompiled(
    lambda *case_ids: Party.objects.filter(case_id__in=case_ids, role__in=LISTED_ROLES)
    .in_display_order()
    .values_list("case_id", "role", "person__kind", "person__first_name", "person__last_name",
                 "person__organisation_name")
)  # fmt: skip


def listed_parties(case_ids) -> dict[int, str]:
    """Each case's offenders and victims as lists show them, one "Name (role)" a line, offenders first (one
    query, no contact details read). Plain text, not a loop of tags per row: the loop was about 40% of the
    time the caseload's fifty rows took to render."""
    by_case: dict[int, list[str]] = {pk: [] for pk in case_ids}
    rows = _LISTED_PARTIES.rows(*by_case) if by_case else []
    for case_id, role, kind, first, last, organisation in rows:
        name = organisation if kind == Person.Kind.ORGANISATION else f"{first} {last}".strip()
        by_case[case_id].append(f"{name} ({ROLE_LABELS[role]})")
    return {case_id: "\n".join(lines) for case_id, lines in by_case.items()}


def case_page_addresses() -> str:
    """The case page's address with ``{}`` for the case's id: one ``reverse()`` per list, not one per row."""
    marker = 987654321
    return reverse("cases:detail", args=[marker]).replace(str(marker), "{}")


def caseload_rows(cases) -> list[dict]:
    """The caseload list's rows, shaped for its template, from ``Case.objects.for_caseload_page()`` values
    (a page of them) with ``is_overdue``: labels mapped here, parties in one more query."""
    cases = list(cases)
    parties = listed_parties([case["pk"] for case in cases])
    months = month_abbreviations()
    address = case_page_addresses()
    rows = []
    for case in cases:
        lead = _user_name(case["lead_mediator__first_name"], case["lead_mediator__last_name"],
                          case["lead_mediator__username"])  # fmt: skip
        co = _user_name(case["co_mediator__first_name"], case["co_mediator__last_name"], case["co_mediator__username"])
        rows.append({
            "url": address.format(case["pk"]),
            "number": case["number"],
            "stage": case["stage"],
            "stage_label": STAGE_LABELS[case["stage"]],
            "overdue": case["is_overdue"],
            "indirect": case["mode"] == Case.Mode.INDIRECT,
            "offense": OFFENSE_LABELS[case["offense_category"]],
            "parties": parties[case["pk"]],
            "referred": short_date(case["referral_date"], months),
            "source": case["referral_source__name"],
            "mediators": f"{lead or '—'}, {co}" if co else lead or "—",
        })  # fmt: skip
    return rows


CASELOAD_EXPORT_HEADER = [
    "Case", "Program", "Referred", "Referral source", "Referral type", "Court ordered", "Court return date",
    "Offense", "Incident date", "Stage", "Days in stage", "Mode", "Outcome", "Closed", "Lead mediator",
    "Co-mediator", "Offenders", "Juvenile offender", "Victims",
]  # fmt: skip


def caseload_export_rows(cases, now):
    """One row per case for the caseload CSV. Names and roles only: no address, phone or email of
    anyone ever enters the file."""
    rows = cases.for_caseload().order_by("-referral_date", "-pk")
    for case in rows.iterator(chunk_size=500):
        parties = list(case.parties.all())
        offenders = [p for p in parties if p.role == Party.Role.OFFENDER]
        victims = [p for p in parties if p.role == Party.Role.VICTIM]
        yield [
            case.number, case.program.name, case.referral_date, case.referral_source.name,
            case.get_referral_type_display(), "yes" if case.court_ordered else "no", case.court_return_date or "",
            case.get_offense_category_display(), case.incident_date or "", case.get_stage_display(),
            (now - case.stage_changed_at).days, case.get_mode_display(), case.get_outcome_display(),
            timezone.localtime(case.closed_at).date() if case.closed_at else "",
            case.lead_mediator.get_full_name() if case.lead_mediator else "",
            case.co_mediator.get_full_name() if case.co_mediator else "",
            "; ".join(p.person.display_name for p in offenders), "yes" if case.juvenile else "no",
            "; ".join(p.person.display_name for p in victims),
        ]  # fmt: skip


# --- Next actions ------------------------------------------------------------------------------------


def _fallback_actions(cases) -> dict:
    """Until the apps that own these stages offer something better (lower priority number wins)."""
    actions = {}
    for case in cases:
        if case.stage in FALLBACK_ACTIONS:
            label, days = FALLBACK_ACTIONS[case.stage]
            start = timezone.localtime(case.stage_changed_at).date()
            url = reverse_once("cases:detail", args=[case.pk])
            actions[case.pk] = [NextAction(label, start + timedelta(days=days), url, priority=90)]
    return actions


def _fallback_action(case: Case) -> list[NextAction]:
    return _fallback_actions([case]).get(case.pk, [])


def next_action_of(facts: CaseFacts) -> NextAction | None:
    """The case page's one next action, as ``next_actions_for`` would give it, from the page's facts."""
    actions = [action for provider in [_fallback_action, *case_next_action_providers()]
               for action in provider(facts if provider is not _fallback_action else facts.case)]  # fmt: skip
    return min(actions, key=lambda a: a.priority) if actions else None


def next_actions_for(cases) -> dict:
    """The one next action per case, from every registered provider (each a fixed number of queries)."""
    cases = list(cases)
    collected: dict = {}
    for provider in [_fallback_actions, *next_action_providers()]:
        for case_id, actions in provider(cases).items():
            collected.setdefault(case_id, []).extend(actions)
    return {case_id: min(actions, key=lambda a: a.priority) for case_id, actions in collected.items()}


def overdue_first(rows, today):
    """Sort (case, action) rows: overdue first, then by due date; cases without an action last."""

    def key(row):
        action = row[1]
        due = action.due_date if action else None
        return (due is None, due or today, row[0].referral_date)

    return sorted(rows, key=key)


def case_revision():
    """A case's revision (``CaseRevision``) as an annotation: 0 before its first write, and where none are kept."""
    return Coalesce(Subquery(CaseRevision.objects.filter(case_id=OuterRef("pk")).values("revision")), 0)


# The mediator home's cases, compiled once per process and user roles (the visibility's branches and the open
# stages cost more to compile than the indexed query to run), each with its revision (``CaseRevision``, 0 before
# its first write) and what of its program its next action depends on.
_MY_OPEN_CASES = Precompiled(
    lambda user_id, user: (
        Case.objects.visible_to(user)
        .open()
        .filter(Q(lead_mediator_id=user_id) | Q(co_mediator_id=user_id))
        .annotate(
            revision=case_revision(),
            default_after_days=F("program__default_after_days"),
        )
    )
)


def my_open_cases(user) -> list[Case]:
    """The open cases ``user`` mediates (lead or co-mediator) among those they may see."""
    return _MY_OPEN_CASES.rows(user.pk, key=Case.objects.visibility_key(user), user=user)


class KeptActions:
    """Next actions kept in this process under what they were computed from: the case's id and revision, its
    program's follow-up setting, the day ("due today", a follow-up's status), the language and the time zone
    (labels). A write to any of the case's records changes its revision in the write's transaction
    (``CaseRevision``), so a kept action is never read after its inputs changed, by anyone: the user who wrote
    included. Kept in the process only (the latest ``KEPT``): the labels name victims and offenders, which stay
    out of the shared cache. Only where the revisions are kept (PostgreSQL)."""

    KEPT = 20_000
    _ABSENT = object()

    def __init__(self):
        self._kept: OrderedDict = OrderedDict()

    def of(self, cases: list[Case]) -> dict[int, NextAction]:
        """``next_actions_for(cases)``, computed only for the cases whose key is not kept."""
        if connection.vendor != "postgresql":
            return next_actions_for(cases)
        context = (timezone.localdate(), get_language(), timezone.get_current_timezone_name())
        keys = {case.pk: (case.pk, case.revision, case.default_after_days, *context) for case in cases}
        found, missing = {}, []
        for case in cases:
            action = self._kept.get(keys[case.pk], self._ABSENT)
            if action is self._ABSENT:
                missing.append(case)
            elif action is not None:
                found[case.pk] = action
        computed = next_actions_for(missing) if missing else {}
        for case in missing:
            self._keep(keys[case.pk], computed.get(case.pk))
        return found | computed

    def _keep(self, key, action: NextAction | None) -> None:
        if len(self._kept) >= self.KEPT:
            self._kept.popitem(last=False)
        self._kept[key] = action

    def clear(self) -> None:
        self._kept.clear()


my_next_actions = KeptActions()


def my_cases_rows(cases: list[Case], today) -> list[dict]:
    """The mediator's home: each of ``cases`` (``my_open_cases``) with its one next action (kept per revision:
    ``my_next_actions``), overdue first, shaped for the page (offenders' and victims' names in one query, labels
    mapped here)."""
    actions = my_next_actions.of(cases)
    parties = listed_parties([case.pk for case in cases])
    months, address = month_abbreviations(), case_page_addresses()
    rows = []
    for case, action in overdue_first([(case, actions.get(case.pk)) for case in cases], today):
        due = action.due_date if action else None
        rows.append({
            "pk": case.pk, "url": address.format(case.pk), "number": case.number, "stage": case.stage,
            "stage_label": STAGE_LABELS[case.stage], "due_text": day_and_date(due, months),
            "indirect": case.mode == Case.Mode.INDIRECT, "parties": parties[case.pk], "action": action, "due": due,
            "overdue": due is not None and due < today, "due_today": due == today,
        })  # fmt: skip
    return rows


# --- The case page: its facts, read once per request ---------------------------------------------------


def count_of(queryset, column: str = "case_id"):
    """How many rows of ``queryset`` (filtered on an ``OuterRef``), as an annotation: 0 rather than NULL."""
    counted = queryset.order_by().values(column).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _texts(status: str):
    sms = Notification.objects.filter(case_id=OuterRef("pk"), channel=Notification.Channel.SMS, status=status)
    return count_of(sms)


@built_once
def _case_page_cases():
    # Whether its people are in other cases at all: which of those the user may see is read only when they are.
    others = Party.objects.filter(person__parties__case=OuterRef("pk")).exclude(case=OuterRef("pk"))
    return Case.objects.for_case_page().annotate(
        texts_sent=_texts(Notification.Status.SENT),
        texts_failed=_texts(Notification.Status.FAILED),
        texts_waiting=_texts(Notification.Status.PENDING),
        has_earlier=Exists(others),
        revision=case_revision(),  # what the page's parts are kept under (cases.case_page)
        **annotations("case"),
    )


@built_once
def _case_page_compiled():
    return Precompiled(lambda pk, user: _case_page_cases().visible_to(user).filter(pk=pk))


def get_case_for_page(user, pk: int) -> Case:
    """The case as its page reads it, if the user may see it (404 otherwise): in one query with what every app adds
    to the case (the texts to its parties, sent, failed and waiting; whether its people are in other cases; each
    extension's ``case_annotations``), its SQL compiled once per process and user roles (some fifteen annotations
    cost more to compile than to run)."""
    found = _case_page_compiled().rows(pk, key=Case.objects.visibility_key(user), user=user)
    if not found:
        raise Http404("No such case.")
    return found[0]


@built_once
def case_page_parties_query():
    return (
        Party.objects.select_related("person", "related_party__person")
        .annotate(texts_stopped=Exists(TextOptOut.objects.filter(number=OuterRef("phone"))), **annotations("party"))
        .in_display_order()
    )


@built_once
def _case_page_parties_compiled():
    return Precompiled(lambda case_id: case_page_parties_query().filter(case_id=case_id))


def parties_for_case_page(case: Case, user=None) -> tuple[list[Party], dict[int, list[Party]]]:
    """The case's parties in display order, each with its person (and the related party's), ``texts_stopped``
    (their number replied STOP) and each extension's ``party_annotations``; and, with ``user``, the same
    people's parts in other cases the user may see, by person, newest first (re-referrals), each with its
    ``case_number``. One query: the other cases' parts are read with the case's own, and only when the case's
    read says there are any (``has_earlier``)."""
    parties = case_page_parties_query()
    if user is None or not getattr(case, "has_earlier", True):
        return _case_page_parties_compiled().rows(case.pk), {}
    people = Party.objects.filter(case=case).values("person_id")
    rows = list(
        parties.filter(Q(case=case) | Q(case__in=Case.objects.visible_to(user)), person__in=people).annotate(
            case_number=F("case__number"), case_referred=F("case__referral_date")
        )
    )
    earlier: dict[int, list[Party]] = {}
    for other in sorted((p for p in rows if p.case_id != case.pk), key=lambda p: p.case_referred, reverse=True):
        earlier.setdefault(other.person_id, []).append(other)
    return [party for party in rows if party.case_id == case.pk], earlier


def case_facts(case: Case, user=None, *, apps=None, perms=None) -> CaseFacts:
    """What guards, panels and next actions know of ``case``: its parties, read once (with ``user``, their
    parts in the other cases the user may see), and each app's facts (only ``apps`` when named: a service
    checking its own guard needs no other app's)."""
    parties, earlier = parties_for_case_page(case, user)
    facts = CaseFacts(case=case, parties=parties, user=user, perms=perms or {}, earlier=earlier)
    for app, load in fact_loaders().items():
        if apps is None or app in apps:
            facts.apps[app] = load(case=case, parties=parties, user=user)
    return facts


def case_text_figures(case: Case) -> dict:
    """Texts to this case's parties: how many went out, how many failed, how many wait (read with the case)."""
    return {"sent": case.texts_sent, "failed": case.texts_failed, "waiting": case.texts_waiting}


# The journal: notes, timeline and access log, in one query of the columns the page shows.


@dataclass(frozen=True)
class NoteRow:
    at: datetime
    author: str
    body: str
    confidential: bool
    when: str = ""  # ``at`` as ``{{ at|date:"M j, Y H:i" }}`` writes it

    @property
    def created_at(self) -> datetime:
        return self.at


@dataclass(frozen=True)
class TimelineRow:
    at: datetime
    actor: str
    summary: str
    when: str = ""  # as a note's
    iso: str = ""  # ``{{ at|date:"c" }}``


@dataclass(frozen=True)
class AccessRow:
    at: datetime
    username: str
    action: str
    what: str
    ip_address: str
    when: str = ""  # ``{{ at|date:"M j, Y g:i:s A T" }}``

    def get_action_display(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


class JournalTimes:
    """The journal's times as the ``date`` filter writes them in the current time zone and language, without the
    filter's machinery for each of up to 130 rows (it was the case page's largest template cost)."""

    def __init__(self):
        self.months = month_abbreviations()
        # Django's own "AM"/"PM" in the current language, asked of the filter once (not marked again here).
        self.am, self.pm = (TimeFormat(datetime(2000, 1, 1, hour)).A() for hour in (9, 21))

    def when(self, at: datetime) -> tuple[datetime, str]:
        local = timezone.localtime(at)
        return local, f"{self.months[local.month]} {local.day}, {local.year} {local:%H:%M}"

    def precise(self, local: datetime) -> str:
        hour = local.hour % 12 or 12
        noon = self.pm if local.hour > 11 else self.am
        zone = TimeFormat(local).T()  # as the filter: empty for an ambiguous or imaginary local time
        return f"{self.months[local.month]} {local.day}, {local.year} {hour}:{local:%M:%S} {noon} {zone}"


ACTION_LABELS = dict(AuditEvent.Action.choices)


class _Host(Func):
    """An IP address as text: PostgreSQL's ``inet`` as the address alone (no ``/32``), elsewhere as stored."""

    function = "HOST"
    output_field = CharField()

    def as_sql(self, compiler, connection, **extra):
        if connection.vendor == "postgresql":
            return super().as_sql(compiler, connection, **extra)
        return compiler.compile(self.source_expressions[0])


TIMELINE_SHOWN = 100
ACCESS_LOG_SHOWN = 30


def _journal_arm(queryset, kind: str, *, at, first="", last="", username="", text, flag=None, action="", ip=""):
    def value(v):
        return Value(v, output_field=CharField()) if isinstance(v, str) else v

    return queryset.order_by().annotate(
        j_kind=Value(kind, output_field=CharField()), j_at=F(at), j_first=value(first), j_last=value(last),
        j_username=value(username), j_text=F(text), j_flag=flag if flag is not None else Value(False, BooleanField()),
        j_action=value(action), j_ip=value(ip), j_pk=F("pk"),
    ).values("j_kind", "j_at", "j_first", "j_last", "j_username", "j_text", "j_flag", "j_action", "j_ip",
             "j_pk")  # fmt: skip


def _journal(case_id: int, access_log: bool):
    latest_events = TimelineEvent.objects.filter(case_id=case_id).order_by("-at", "-pk").values("pk")[:TIMELINE_SHOWN]
    arms = [
        _journal_arm(Note.objects.filter(case_id=case_id), "note", at="created_at", first=F("author__first_name"),
                     last=F("author__last_name"), username=F("author__username"), text="body", flag=F("confidential")),
        _journal_arm(TimelineEvent.objects.filter(pk__in=Subquery(latest_events)), "event", at="at",
                     first=Coalesce(F("actor__first_name"), Value("")), last=Coalesce(F("actor__last_name"), Value("")),
                     username=Coalesce(F("actor__username"), Value("")), text="summary"),
    ]  # fmt: skip
    if access_log:
        latest = AuditEvent.objects.filter(case_id=case_id).order_by("-at", "-pk").values("pk")[:ACCESS_LOG_SHOWN]
        arms.append(_journal_arm(AuditEvent.objects.filter(pk__in=Subquery(latest)), "access", at="at",
                                 username=F("username"), text="what", action=F("action"), ip=Coalesce(
                                     _Host(F("ip_address")), Value(""))))  # fmt: skip
    return arms[0].union(*arms[1:], all=True)


# Compiled once per process (the union's thirty expressions cost more to compile than to run), with and without
# the access log.
_JOURNALS = {shown: Precompiled(lambda case_id, shown=shown: _journal(case_id, shown)) for shown in (False, True)}


def case_journal(case: Case, *, access_log: bool) -> dict:
    """The case's notes (all), latest timeline events and, for coordinators, the latest entries of its access
    log, newest first, in one query."""
    rows = sorted(_JOURNALS[access_log].rows(case.pk), key=lambda r: (r["j_at"], r["j_pk"]), reverse=True)
    journal = {"notes": [], "timeline": [], "access_log": []}
    times = JournalTimes()
    for row in rows:
        name = f"{row['j_first']} {row['j_last']}".strip() or row["j_username"]
        local, when = times.when(row["j_at"])
        if row["j_kind"] == "note":
            journal["notes"].append(NoteRow(row["j_at"], name, row["j_text"], bool(row["j_flag"]), when))
        elif row["j_kind"] == "event":
            journal["timeline"].append(TimelineRow(row["j_at"], name, row["j_text"], when, local.isoformat()))
        else:
            journal["access_log"].append(AccessRow(row["j_at"], row["j_username"], row["j_action"], row["j_text"],
                                                   row["j_ip"], times.precise(local)))  # fmt: skip
    return journal
