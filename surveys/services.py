"""Writes for surveys: planning invitations (beat), taking a party's answers, and retention."""

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from cases.models import Case
from vom.audit.models import AuditEvent
from vom.audit.services import audit_record
from vom.core.errors import DomainError
from vom.core.i18n import document_language, format_day
from vom.notifications.services import Outgoing, notifications_queue

from .models import VALID_FOR, SurveyInvitation, SurveyResponse
from .questions import COMMENT_MAX_LENGTH, FIELDS, SCALE_MAX, SCALE_MIN
from .selectors import survey_candidates
from .tokens import invitation_token, new_nonce

TEMPLATE = "survey_invitation"
NOTIFICATION_TEMPLATES = {TEMPLATE: {"program", "occasion", "url", "expires_on", "contact"}}


class SurveyAlreadyAnswered(DomainError):
    """The invitation's answers are already in (a second tab, a double tap)."""


class SurveyLinkInvalid(DomainError):
    """Expired, revoked or otherwise no longer usable."""


def survey_url(invitation: SurveyInvitation) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("surveys:answer", args=[invitation_token(invitation)])


def program_contact(program) -> str:
    """How a party reaches the program, as one line: phone and email where known (in the active language)."""
    separator = gettext("or")
    return f" {separator} ".join(part for part in (program.phone, program.email) if part)


def _invitation_email(invitation: SurveyInvitation, case: Case, party, now: datetime) -> Outgoing:
    program = case.program
    language = document_language(party.preferred_language, program.document_languages)
    with translation.override(language):
        context = {
            "program": program.name,
            "occasion": invitation.occasion,
            "url": survey_url(invitation),
            "expires_on": format_day(invitation.expires_at),
            "contact": program_contact(program),
        }
    return Outgoing(
        dedupe_key=f"survey:{invitation.pk}",
        template=TEMPLATE,
        due_at=now,
        context=context,
        email=party.email,
        name=str(party.person),
        case_id=case.pk,
        language=language,
    )


def survey_invitations_plan(*, now: datetime | None = None) -> int:
    """Create the missing invitations and queue their emails; returns how many emails were new.

    Run by beat every hour. The unique (party, occasion) constraint and the outbox's dedupe key make a
    second run, or two overlapping ones, add nothing; invitations and their emails are written in one
    transaction, so a crash leaves neither. With Redis down nothing is lost: the rows wait in the outbox.
    """
    now = now or timezone.now()
    candidates = survey_candidates(now=now)
    if not candidates:
        return 0
    with transaction.atomic():
        SurveyInvitation.objects.bulk_create(
            [
                SurveyInvitation(case=c.case, party=c.party, occasion=c.occasion, nonce=new_nonce(), created_at=now,
                                 expires_at=now + VALID_FOR)
                for c in candidates
            ],
            ignore_conflicts=True,
        )  # fmt: skip
        wanted = {(c.party.pk, c.occasion): c for c in candidates}
        invitations = SurveyInvitation.objects.filter(
            party_id__in={c.party.pk for c in candidates}, used_at__isnull=True, expires_at__gt=now
        ).exclude(nonce="")
        items = []
        for invitation in invitations:
            candidate = wanted.get((invitation.party_id, invitation.occasion))
            if candidate is not None:
                items.append(_invitation_email(invitation, candidate.case, candidate.party, now))
        return notifications_queue(items)


def _checked_answers(scores: dict, comment: str) -> tuple[dict, str]:
    problems = []
    unknown = set(scores) - set(FIELDS)
    if unknown:
        problems.append(f"Unknown questions: {', '.join(sorted(unknown))}.")
    clean = {}
    for field in FIELDS:
        value = scores.get(field)
        if value is not None and (type(value) is not int or not SCALE_MIN <= value <= SCALE_MAX):
            problems.append(f"Answers are from {SCALE_MIN} to {SCALE_MAX}, or none.")
        clean[field] = value
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        problems.append(f"The comment can be at most {COMMENT_MAX_LENGTH} characters.")
    if problems:
        raise DomainError("The answers were not saved.", problems)
    return clean, comment


@transaction.atomic
def survey_response_submit(
    *, invitation: SurveyInvitation, nonce: str, scores: dict, comment: str = "", now: datetime | None = None
) -> SurveyResponse:
    """Save a party's answers once. The invitation is claimed with a conditional UPDATE (unused,
    unexpired, same nonce) in the transaction that writes the response: of two posts, one wins."""
    now = now or timezone.now()
    scores, comment = _checked_answers(scores, comment)
    claimed = (
        # Only the invitation's own columns: retention empties the nonce, so this also refuses an
        # anonymised case, and PostgreSQL re-checks every condition on the row a concurrent post changed.
        SurveyInvitation.objects.filter(pk=invitation.pk, nonce=nonce, used_at__isnull=True, expires_at__gt=now)
        .exclude(nonce="")
        .update(used_at=now)
    )
    if claimed != 1:
        if SurveyInvitation.objects.filter(pk=invitation.pk, used_at__isnull=False).exists():
            raise SurveyAlreadyAnswered("These answers were already received.")
        raise SurveyLinkInvalid("This survey link is no longer valid.")
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                invitation=invitation,
                case_id=invitation.case_id,
                respondent_role=invitation.party.role,
                occasion=invitation.occasion,
                comment=comment,
                submitted_at=now,
                **scores,
            )
    except IntegrityError:  # the one-to-one backs up the claim
        raise SurveyAlreadyAnswered("These answers were already received.") from None
    # The audit trail records that answers arrived for the case, never whose they were.
    audit_record(
        action=AuditEvent.Action.CHANGE, what=f"survey answered ({invitation.get_occasion_display().lower()})",
        case_id=invitation.case_id, username="survey link",
    )  # fmt: skip
    return response


def survey_case_anonymise(*, case: Case) -> None:
    """Retention: comments go (they may name people), scores stay for the counts, links stop working."""
    SurveyResponse.objects.filter(case=case).update(comment="")
    SurveyInvitation.objects.filter(case=case).update(nonce="")
