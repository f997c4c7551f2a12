"""Reads for surveys: who is asked, what a link is worth, and the counts the case page shows."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from cases.models import Case, Party
from mediation.models import Meeting

from .models import SurveyInvitation
from .tokens import read_token

# Only sessions held, and cases closed, this recently are surveyed: older ones (the day this is
# deployed, a session recorded very late) are not asked about months afterwards.
RECENT = timedelta(days=30)
# A case closed within a week of its joint session (typically: no agreement) is not asked twice in a
# row; the joint-session survey already covers it.
CLOSURE_AFTER_SESSION = timedelta(days=7)
MAX_TOKEN_LENGTH = 400


def survey_recipients(parties: list[Party], attendee_ids: set[int]) -> list[Party]:
    """Who is asked: every party the program may email (``Party.may_email``, the one consent rule),
    among those who took part in the joint session when attendance was recorded.

    A juvenile offender and their parent or guardian are each a party of their own and are each asked
    under that same rule, as every other email to a juvenile's family is sent.
    """
    return [p for p in parties if p.may_email and (not attendee_ids or p.pk in attendee_ids)]


@dataclass(frozen=True)
class Candidate:
    case: Case
    party: Party
    occasion: str


def _held_joint_sessions():
    return Meeting.objects.filter(kind=Meeting.Kind.JOINT, status=Meeting.Status.HELD, case__anonymised_at__isnull=True)


def survey_candidates(*, now: datetime) -> list[Candidate]:
    """Every (party, occasion) that should have an invitation now, whether or not it already has one.

    Read in a fixed number of queries: recent sessions, recent closures, their cases, their held
    sessions with attendees (two), their parties.
    """
    since = now - RECENT
    held = _held_joint_sessions()
    session_cases = set(held.filter(scheduled_for__gte=since, scheduled_for__lte=now).values_list("case_id", flat=True))
    closed_cases = set(
        Case.objects.filter(
            stage=Case.Stage.CLOSED, closed_at__gte=since, closed_at__lte=now, anonymised_at__isnull=True,
            pk__in=held.values("case_id"),
        ).values_list("pk", flat=True)
    )  # fmt: skip
    case_ids = session_cases | closed_cases
    if not case_ids:
        return []
    cases = Case.objects.select_related("program").in_bulk(case_ids)
    sessions: dict[int, list[Meeting]] = defaultdict(list)
    for meeting in held.filter(case_id__in=case_ids, scheduled_for__lte=now).prefetch_related("attendees"):
        sessions[meeting.case_id].append(meeting)
    parties: dict[int, list[Party]] = defaultdict(list)
    for party in Party.objects.filter(case_id__in=case_ids).select_related("person").order_by("pk"):
        parties[party.case_id].append(party)

    found = []
    for case_id in sorted(case_ids):
        case, held_here = cases[case_id], sessions.get(case_id, [])
        if not held_here:
            continue
        occasions = []
        if case_id in session_cases:
            occasions.append(SurveyInvitation.Occasion.JOINT_SESSION)
        last_session = max(m.scheduled_for for m in held_here)
        if case_id in closed_cases and case.closed_at - last_session >= CLOSURE_AFTER_SESSION:
            occasions.append(SurveyInvitation.Occasion.CLOSURE)
        attended = {p.pk for m in held_here for p in m.attendees.all()}
        for party in survey_recipients(parties[case_id], attended):
            found.extend(Candidate(case, party, occasion) for occasion in occasions)
    return found


# --- The link -------------------------------------------------------------------------------------


class LinkState:
    OPEN = "open"
    ANSWERED = "answered"
    EXPIRED = "expired"
    REVOKED = "revoked"  # the nonce was cleared (retention) or does not match
    UNKNOWN = "unknown"  # not signed by this app, or no such invitation


@dataclass(frozen=True)
class SurveyLink:
    state: str
    invitation: SurveyInvitation | None = None
    nonce: str = ""


def survey_link(token: str, *, now: datetime | None = None) -> SurveyLink:
    """What a survey link is worth right now. Never raises for any string."""
    now = now or timezone.now()
    content = read_token(token) if len(token) <= MAX_TOKEN_LENGTH else None
    if content is None:
        return SurveyLink(LinkState.UNKNOWN)
    invitation = (
        SurveyInvitation.objects.select_related("party", "case__program").filter(pk=content.invitation_id).first()
    )
    if invitation is None:
        return SurveyLink(LinkState.UNKNOWN)
    genuine = bool(invitation.nonce) and constant_time_compare(invitation.nonce, content.nonce)
    if not genuine or invitation.case.anonymised_at is not None:
        state = LinkState.REVOKED
    elif invitation.used_at is not None:
        state = LinkState.ANSWERED
    elif content.too_old or invitation.expires_at <= now:
        state = LinkState.EXPIRED
    else:
        state = LinkState.OPEN
    return SurveyLink(state, invitation, content.nonce)


# --- The case page -----------------------------------------------------------------------------------


def survey_counts(case: Case, *, now: datetime | None = None) -> list[dict]:
    """Per occasion: invited, answered, expired unanswered, still open. Counts only, in one query;
    never who answered or what."""
    now = now or timezone.now()
    unused = Q(used_at__isnull=True)
    rows = (
        SurveyInvitation.objects.filter(case=case)
        .values("occasion")
        .annotate(
            invited=Count("pk"),
            answered=Count("pk", filter=~unused),
            expired=Count("pk", filter=unused & (Q(expires_at__lte=now) | Q(nonce=""))),
        )
        .order_by()
    )
    by_occasion = {row["occasion"]: row for row in rows}
    result = []
    for value, label in SurveyInvitation.Occasion.choices:
        row = by_occasion.get(value)
        if row:
            waiting = row["invited"] - row["answered"] - row["expired"]
            result.append({"occasion": value, "label": label, **row, "waiting": waiting})
    return result
