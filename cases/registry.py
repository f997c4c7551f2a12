"""Where higher apps plug into pages and moves that ``cases`` owns, so imports only run downward.

- ``register_move(name, guard=, perform=, permission=)``: a stage move's guard (returns what is
  missing, as sentences) and the service that performs it.
- ``register_panel(...)``: a section of the case page, with a loader that reads its data.
- ``register_next_actions(provider)``: computes the next action for many cases at once.
- ``register_demo_seeder(seeder)``: stage-consistent demo records for freshly seeded cases.
- ``register_anonymiser(anonymiser)``: removes an app's personal data when retention anonymises a case.
- ``register_closure_listener(listener)``: runs inside the transaction that closes a case (the letter to
  the referral source is written there, whichever app's move closed it).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class MoveHandler:
    guard: Callable  # (case) -> list[str] of what is missing
    perform: Callable  # (*, case, expected_version, actor) -> Case
    permission: str  # the policy action the user needs


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    order: int
    load: Callable  # (case, user) -> dict for the template


@dataclass(frozen=True)
class NextAction:
    label: str
    due: date | datetime | None
    url: str = ""
    priority: int = 50  # lower comes first among actions of one case

    @property
    def due_date(self) -> date | None:
        if isinstance(self.due, datetime):
            return self.due.date()
        return self.due


MOVE_HANDLERS: dict[str, MoveHandler] = {}
PANELS: list[Panel] = []
NEXT_ACTION_PROVIDERS: list[Callable] = []  # (cases: list[Case]) -> dict[case_id, list[NextAction]]
DEMO_SEEDERS: list[Callable] = []  # (*, cases, parties_by_case, seed) -> None: stage-consistent demo records
ANONYMISERS: list[Callable] = []  # (*, case) -> None: called inside the anonymising transaction
CLOSURE_LISTENERS: list[Callable] = []  # (*, case, actor) -> None: called inside the closing transaction


def register_move(name: str, *, guard: Callable, perform: Callable, permission: str = "work") -> None:
    MOVE_HANDLERS[name] = MoveHandler(guard=guard, perform=perform, permission=permission)


def register_panel(key: str, *, template: str, order: int, load: Callable) -> None:
    if not any(p.key == key for p in PANELS):
        PANELS.append(Panel(key, template, order, load))
        PANELS.sort(key=lambda p: p.order)


def register_next_actions(provider: Callable) -> None:
    if provider not in NEXT_ACTION_PROVIDERS:
        NEXT_ACTION_PROVIDERS.append(provider)


def register_demo_seeder(seeder: Callable) -> None:
    if seeder not in DEMO_SEEDERS:
        DEMO_SEEDERS.append(seeder)


def register_anonymiser(anonymiser: Callable) -> None:
    if anonymiser not in ANONYMISERS:
        ANONYMISERS.append(anonymiser)


def register_closure_listener(listener: Callable) -> None:
    if listener not in CLOSURE_LISTENERS:
        CLOSURE_LISTENERS.append(listener)
