"""The case stage graph, written once as data. Services and tests both read it.

Each move names the app that owns its guard (the facts the guard checks): screening and session moves
belong to ``mediation``, signing and completion to ``agreements``; assignment, withdrawal and reopening
need only case facts and stay here. Apps register guards and services for their moves in
``cases.registry`` from their ``AppConfig.ready()``.
"""

from dataclasses import dataclass

from .models import Case

S = Case.Stage
OPEN_STAGES = [S.REFERRED, S.SCREENING, S.PREPARATION, S.JOINT_SESSION, S.AGREEMENT, S.FOLLOW_UP]


@dataclass(frozen=True)
class Move:
    name: str
    source: str
    target: str
    label: str
    owner: str


MOVES = [
    Move("assign", S.REFERRED, S.SCREENING, "Assign mediators and start screening", "cases"),
    Move("begin_preparation", S.SCREENING, S.PREPARATION, "Move to preparation", "mediation"),
    Move("close_after_screening", S.SCREENING, S.CLOSED, "Close: a party cannot take part", "mediation"),
    Move("begin_session", S.PREPARATION, S.JOINT_SESSION, "Move to the joint session", "mediation"),
    Move("record_agreement", S.JOINT_SESSION, S.AGREEMENT, "Move to the written agreement", "mediation"),
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


def move_named(name: str, source: str) -> Move | None:
    return next((m for m in MOVES if m.name == name and m.source == source), None)
