"""Demo invitations and answers for seeded cases that held a joint session (a registered demo seeder).

About two in three parties answer, mostly agreeing (published VOM programs report 80-90% satisfied),
so the demo report has averages to show; some links are still open and some expired unanswered.
"""

import random
from collections import defaultdict
from datetime import timedelta

from django.utils import timezone

from cases.models import Case, Party
from mediation.models import Meeting
from vom.core.bulk import bulk_insert, new

from .models import VALID_FOR, SurveyInvitation, SurveyResponse
from .questions import FIELDS
from .selectors import CLOSURE_AFTER_SESSION, survey_recipients
from .tokens import new_nonce

SCORES = [5, 4, 3, 2, 1, None]
WEIGHTS = {
    "fair": [48, 34, 10, 4, 2, 2],
    "satisfied": [38, 36, 14, 6, 3, 3],
    "safe": [52, 30, 9, 4, 2, 3],
    "heard": [55, 31, 8, 3, 1, 2],
    "recommend": [50, 30, 10, 5, 3, 2],
}
COMMENTS = {
    "victim": [
        "It helped to hear the apology in person rather than through a lawyer.",
        "I was nervous beforehand, but the mediators made sure I never felt unsafe.",
        "I got answers to the questions that kept me up at night.",
        "The repayment plan feels slow, but I'm glad I went.",
    ],
    "offender": [
        "I didn't expect to be listened to. It was hard but fair.",
        "Meeting them made me understand what I actually did to them.",
        "The payments are a lot on my part-time wages, but it's fair.",
    ],
    "guardian": [
        "Our son took it seriously afterwards. Thank you.",
        "Good that we could be there with him the whole time.",
    ],
    "victim_rep": ["Well organised. The store would take part again."],
}


def seed_surveys(*, cases: list[Case], parties_by_case: dict[int, list[Party]], seed: int) -> None:
    now = timezone.now()
    sessions = defaultdict(list)
    held = Meeting.objects.filter(
        case__in=[c.pk for c in cases], kind=Meeting.Kind.JOINT, status=Meeting.Status.HELD
    ).prefetch_related("attendees")
    for meeting in held:
        sessions[meeting.case_id].append(meeting)
    invitations, answers = [], []
    for case in cases:
        if not sessions.get(case.pk):
            continue
        rng = random.Random(f"{seed}:{case.number}:surveys")
        last_session = max(m.scheduled_for for m in sessions[case.pk])
        attended = {p.pk for m in sessions[case.pk] for p in m.attendees.all()}
        asked = [(SurveyInvitation.Occasion.JOINT_SESSION, last_session)]
        if case.stage == Case.Stage.CLOSED and case.closed_at - last_session >= CLOSURE_AFTER_SESSION:
            asked.append((SurveyInvitation.Occasion.CLOSURE, case.closed_at))
        for party in survey_recipients(parties_by_case[case.pk], attended):
            for occasion, after in asked:
                created = min(after + timedelta(hours=rng.randint(2, 20)), now)
                invitation = new(SurveyInvitation, case=case, party=party, occasion=occasion, nonce=new_nonce(),
                                              created_at=created, expires_at=created + VALID_FOR)  # fmt: skip
                invitations.append(invitation)
                answered_at = created + timedelta(hours=rng.randint(3, 24 * 12))
                if answered_at < now and answered_at < invitation.expires_at and rng.random() < 0.68:
                    invitation.used_at = answered_at
                    answers.append((invitation, party, rng))
    bulk_insert(invitations, batch_size=5000)
    bulk_insert(
        [
            new(SurveyResponse,
                invitation=invitation, case_id=invitation.case_id, respondent_role=party.role,
                occasion=invitation.occasion, submitted_at=invitation.used_at,
                comment=rng.choice(COMMENTS.get(party.role, [""])) if rng.random() < 0.4 else "",
                **{field: rng.choices(SCORES, WEIGHTS[field])[0] for field in FIELDS},
            )
            for invitation, party, rng in answers
        ],
        batch_size=5000,
    )  # fmt: skip
