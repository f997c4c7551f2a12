"""Every fact about the case stages, written once as data: services, selectors, reports, templates and
tests all read it from here (and nothing here reads the database, so every module may import it).

- ``Stage`` and ``Outcome``: what a case can be in and how it can end (``Case.Stage`` and
  ``Case.Outcome`` are these very classes).
- ``PIPELINE``: the open stages in order; ``WORKING_STAGES``, ``MEETING_STAGES`` and
  ``BEFORE_FOLLOW_UP``: the groups rules talk about.
- ``OVERDUE_DAYS``: how long a case may sit in a stage before the caseload flags it.
- ``OUTCOME_REACHED`` and ``CLOSING_OUTCOMES``: the furthest stage each outcome implies, and which
  outcomes a coordinator may record when closing from each stage.
- ``MOVES``: the stage graph. Each move names the app that owns its guard (the facts the guard
  checks): screening and session moves belong to ``mediation``, signing and completion to
  ``agreements``; assignment, withdrawal and reopening need only case facts and stay here. Apps give
  each move a handler in their extension (``cases.extensions``); a system check insists on one each.
- Predicates (``is_open``, ``is_workable``, ``allows_meetings``…): what templates and rules ask,
  instead of comparing stage strings.
"""

from dataclasses import dataclass

from django.db import models


class Stage(models.TextChoices):
    REFERRED = "referred", "Referred"
    SCREENING = "screening", "Screening"
    PREPARATION = "preparation", "Preparation"
    JOINT_SESSION = "joint_session", "Joint session"
    AGREEMENT = "agreement", "Agreement"
    FOLLOW_UP = "follow_up", "Follow-up"
    CLOSED = "closed", "Closed"


class Outcome(models.TextChoices):
    COMPLETED = "completed", "Completed: agreement fulfilled"
    RETURNED = "returned", "Returned to referral source (non-compliance)"
    MIXED = "mixed", "Completed by some offenders, returned for others"
    NO_AGREEMENT = "no_agreement", "Session held, no agreement"
    DECLINED = "declined", "A party declined"
    UNSUITABLE = "unsuitable", "Screened not suitable"
    UNREACHABLE = "unreachable", "A party could not be reached"
    CANCELLED = "cancelled", "Session cancelled for good"
    WITHDRAWN = "withdrawn", "Withdrawn by the program"


S = Stage
O = Outcome  # noqa: E741

# The open stages, in the order a case goes through them.
PIPELINE = [S.REFERRED, S.SCREENING, S.PREPARATION, S.JOINT_SESSION, S.AGREEMENT, S.FOLLOW_UP]
OPEN_STAGES = PIPELINE
# Mediators work with the parties (contact, screening, mode): between assignment and the session.
WORKING_STAGES = frozenset({S.SCREENING, S.PREPARATION, S.JOINT_SESSION})
# Meetings can be scheduled (and the meetings panel is shown even before there is one).
MEETING_STAGES = frozenset({S.PREPARATION, S.JOINT_SESSION})
# Open and not yet followed up: inactivity and court-date warnings watch these (follow-up has its own).
BEFORE_FOLLOW_UP = frozenset({S.REFERRED, S.SCREENING, S.PREPARATION, S.JOINT_SESSION, S.AGREEMENT})

# How long a case may sit in a stage before the caseload flags it (VOM practice: first contact within a
# week, the joint session within about four weeks of referral).
OVERDUE_DAYS = {
    S.REFERRED: 3,
    S.SCREENING: 14,
    S.PREPARATION: 21,
    S.JOINT_SESSION: 21,
    S.AGREEMENT: 14,
}

# The furthest stage each closing outcome implies a case reached (for cases closed before
# ``closed_from_stage`` was recorded, and as a floor when it was).
OUTCOME_REACHED = {
    O.COMPLETED: S.FOLLOW_UP,
    O.RETURNED: S.FOLLOW_UP,
    O.MIXED: S.FOLLOW_UP,
    O.NO_AGREEMENT: S.JOINT_SESSION,
    O.CANCELLED: S.JOINT_SESSION,
    O.DECLINED: S.SCREENING,
    O.UNSUITABLE: S.SCREENING,
    O.UNREACHABLE: S.SCREENING,
}

# Which outcomes a coordinator may record when closing, by the stage the case is in: a session
# cannot have ended without agreement before it was held; anyone may withdraw at any time.
CLOSING_OUTCOMES = {
    O.WITHDRAWN: frozenset(OPEN_STAGES),
    O.DECLINED: BEFORE_FOLLOW_UP,
    O.UNREACHABLE: BEFORE_FOLLOW_UP,
    O.UNSUITABLE: WORKING_STAGES,
    O.CANCELLED: frozenset({S.JOINT_SESSION}),
    O.NO_AGREEMENT: frozenset({S.JOINT_SESSION}),
}

# The next action of a case in these stages until an app offers a better one: (label, days in stage).
FALLBACK_ACTIONS = {
    S.AGREEMENT: ("Write up the agreement and collect signatures", 7),
    S.FOLLOW_UP: ("Follow up on the agreement", 30),
}


@dataclass(frozen=True)
class Move:
    name: str
    source: str
    target: str
    label: str
    owner: str
    # A move that follows from the mediator's own work, not a decision: taken by itself as soon as its guard
    # is met by what the mediator just recorded, and said so ("Moved to … because <follows>.").
    follows: str = ""


MOVES = [
    Move("assign", S.REFERRED, S.SCREENING, "Assign mediators and start screening", "cases"),
    Move(
        "begin_preparation",
        S.SCREENING,
        S.PREPARATION,
        "Move to preparation",
        "mediation",
        follows="every party is screened suitable",
    ),
    Move("close_after_screening", S.SCREENING, S.CLOSED, "Close: a party cannot take part", "mediation"),
    Move(
        "begin_session",
        S.PREPARATION,
        S.JOINT_SESSION,
        "Move to the joint session",
        "mediation",
        follows="both sides are prepared and the session is set",
    ),
    Move(
        "record_agreement",
        S.JOINT_SESSION,
        S.AGREEMENT,
        "Move to the written agreement",
        "mediation",
        follows="the mediation reached an agreement",
    ),
    Move("close_without_agreement", S.JOINT_SESSION, S.CLOSED, "Close: no agreement", "mediation"),
    Move("begin_follow_up", S.AGREEMENT, S.FOLLOW_UP, "Start follow-up", "agreements"),
    Move("complete", S.FOLLOW_UP, S.CLOSED, "Close as completed", "agreements"),
    Move("return_to_source", S.FOLLOW_UP, S.CLOSED, "Return to the referral source", "agreements"),
    *[Move("withdraw", stage, S.CLOSED, "Withdraw the case", "cases") for stage in OPEN_STAGES],
    *[Move("reopen", S.CLOSED, stage, "Reopen the case", "cases") for stage in OPEN_STAGES],
]

ALLOWED: dict[str, set[str]] = {}
for _move in MOVES:
    ALLOWED.setdefault(_move.source, set()).add(_move.target)


def moves_from(stage: str) -> list[Move]:
    """The forward moves out of a stage, as shown on the case page (withdraw and reopen have their own forms)."""
    return [m for m in MOVES if m.source == stage and m.name not in {"withdraw", "reopen"}]


def following_moves(stage: str) -> list[Move]:
    """The moves out of a stage that follow by themselves once their guard is met (never a decision)."""
    return [m for m in moves_from(stage) if m.follows]


def move_named(name: str, source: str) -> Move | None:
    return next((m for m in MOVES if m.name == name and m.source == source), None)


# --- Predicates -------------------------------------------------------------------------------------


def is_open(stage: str) -> bool:
    return stage != S.CLOSED


def is_workable(stage: str) -> bool:
    """Mediators contact and screen parties and may change the mode."""
    return stage in WORKING_STAGES


def allows_meetings(stage: str) -> bool:
    return stage in MEETING_STAGES


def allows_prep_waiver(stage: str) -> bool:
    return stage == S.PREPARATION


def allows_exchanges(stage: str) -> bool:
    """An indirect (shuttle) case records its exchanges in the joint-session stage."""
    return stage == S.JOINT_SESSION


def closing_outcomes(stage: str) -> list[str]:
    """The outcomes a coordinator may record when closing a case in ``stage``."""
    return [outcome for outcome, stages in CLOSING_OUTCOMES.items() if stage in stages]


def reached_stages(stage: str) -> list[str]:
    """``stage`` and every open stage after it."""
    return PIPELINE[PIPELINE.index(stage) :]


def outcomes_reaching(stage: str) -> list[str]:
    """The outcomes that imply a case got at least as far as ``stage``."""
    later = reached_stages(stage)
    return [outcome for outcome, furthest in OUTCOME_REACHED.items() if furthest in later]
