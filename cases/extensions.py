"""The contract between ``cases`` and the apps above it (imports run downward only, so a higher app's
part in a case is handed to ``cases`` rather than imported by it).

Each app declares one ``CaseExtension`` and registers it once, from its ``AppConfig.ready()``::

    register(CaseExtension(
        app="surveys",
        load_facts=facts.load_survey_facts,  # (*, case, parties, user) -> SurveyFacts
        panels=(Panel("surveys", "surveys/panel_surveys.html", order=50, load=panels.survey_panel),),
        seed_demo=demo.seed_surveys,
        anonymise=services.survey_case_anonymise,
        notification_templates={"survey_invitation": {"program", "occasion", "url", "expires_on", "contact"}},
    ))

Every move of ``cases.stages.MOVES`` has exactly one handler among the extensions (``cases.checks``
fails start-up otherwise). ``cases`` registers its own extension too, for the moves it owns.

The case facts: ``cases`` reads a case, its parties (with their people) and the user's permissions once
per request into a ``CaseFacts``, then asks each extension's ``load_facts`` for what that app knows of the
case (``facts.of("mediation")``). Every guard, panel and case-page next action takes those facts and reads
nothing again. An app may add ``case_annotations``/``party_annotations`` to the one query of the case and of
its parties (figures, "has any" flags), so its loader reads only what is there.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from vom.notifications.services import register_template


@dataclass
class CaseFacts:
    """What one request knows of one case, read once and handed to every guard, panel and next action.

    ``parties`` are in display order, each with its person (and the related party's person); ``perms`` is
    ``cases.policies.permissions_for`` (empty when there is no user, as inside services); ``apps`` holds each
    extension's facts under its app name: ``facts.of("mediation")``.
    """

    case: object
    parties: list
    user: object | None = None
    perms: dict[str, bool] = field(default_factory=dict)
    apps: dict[str, object] = field(default_factory=dict)
    # the same people's parts in other cases the user may see, by person id, newest first (the case page's)
    earlier: dict[int, list] = field(default_factory=dict)

    def of(self, app: str):
        return self.apps[app]


@dataclass(frozen=True)
class MoveHandler:
    """Who performs a move of the stage graph, on what condition, and who may ask for it.

    ``guard(facts)`` (a ``CaseFacts``) returns what is missing, as sentences (empty: the move may happen).
    ``perform`` is the service; on the case page it is called as ``perform(case=, expected_version=, actor=)``.
    A move with ``on_case_page=False`` has its own form or happens by itself (``page`` says where, for people
    reading the code and the check's messages).
    """

    move: str
    perform: Callable
    guard: Callable | None = None
    permission: str = "work"  # the policy action the user needs
    on_case_page: bool = True
    page: str = ""


@dataclass(frozen=True)
class Panel:
    """A section of the case page: ``load(facts)`` (a ``CaseFacts``) returns the template's context."""

    key: str
    template: str
    order: int
    load: Callable


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


@dataclass(frozen=True)
class CaseExtension:
    """Everything one app adds to cases. Each callable takes keyword arguments as noted."""

    app: str
    # (*, case, parties, user) -> the app's facts of one case (``CaseFacts.of(app)``), read in a fixed number
    # of queries whatever the number of parties, meetings or terms
    load_facts: Callable | None = None
    # () -> {name: expression}: annotations of the case page's one query of the case, and of its parties
    case_annotations: Callable | None = None
    party_annotations: Callable | None = None
    moves: tuple[MoveHandler, ...] = ()
    panels: tuple[Panel, ...] = ()
    # (cases: list[Case]) -> {case_id: [NextAction, …]}, a fixed number of queries for any number of cases
    next_actions: Callable | None = None
    # (facts: CaseFacts) -> [NextAction, …]: the same for the case page, from its facts (no query)
    case_next_actions: Callable | None = None
    # (*, case, actor) -> None, inside the transaction that closes a case, whichever app's move closed it
    on_close: tuple[Callable, ...] = ()
    # (*, case_id) -> None, inside the transaction of every write that changes a case's stage or mediators
    # (every move, reassignment), after the case's row is written: what the app keeps copied from them
    on_case_change: tuple[Callable, ...] = ()
    # (*, case) -> None, inside the transaction in which retention anonymises a case: the app's own rows
    anonymise: Callable | None = None
    # (*, cases, parties_by_case, seed) -> None: stage-consistent demo records for freshly seeded cases
    seed_demo: Callable | None = None
    # template name -> the context keys every notification of it must carry (vom.notifications checks)
    notification_templates: dict[str, set[str]] = field(default_factory=dict)


_EXTENSIONS: dict[str, CaseExtension] = {}
_VERSION = 0  # changes with every registration: what is built once from the registry is built again


def built_once(build: Callable) -> Callable:
    """``build()``'s result, kept until an extension is registered again (querysets whose expressions do not
    depend on the request: the ORM resolves them once, not on every request)."""
    kept: dict[int, object] = {}

    def get():
        if _VERSION not in kept:
            kept.clear()
            kept[_VERSION] = build()
        return kept[_VERSION]

    return get


def register(extension: CaseExtension) -> None:
    """Called once per app from ``AppConfig.ready()``; registering the same app again replaces it."""
    global _VERSION
    _EXTENSIONS[extension.app] = extension
    _VERSION += 1
    for name, required in extension.notification_templates.items():
        register_template(name, required)


def extensions() -> list[CaseExtension]:
    """In registration order, which is ``INSTALLED_APPS`` order."""
    return list(_EXTENSIONS.values())


def move_handlers() -> dict[str, MoveHandler]:
    """Each move's handler (``cases.checks`` makes sure there is exactly one)."""
    return {handler.move: handler for extension in extensions() for handler in extension.moves}


def panels() -> list[Panel]:
    return sorted((panel for extension in extensions() for panel in extension.panels), key=lambda p: p.order)


def next_action_providers() -> list[Callable]:
    return [extension.next_actions for extension in extensions() if extension.next_actions]


def case_next_action_providers() -> list[Callable]:
    return [extension.case_next_actions for extension in extensions() if extension.case_next_actions]


def fact_loaders() -> dict[str, Callable]:
    return {extension.app: extension.load_facts for extension in extensions() if extension.load_facts}


def annotations(kind: str) -> dict:
    """Every extension's ``case_annotations`` or ``party_annotations``, merged."""
    merged = {}
    for extension in extensions():
        provider = getattr(extension, f"{kind}_annotations")
        if provider:
            merged.update(provider())
    return merged


def closure_listeners() -> list[Callable]:
    return [listener for extension in extensions() for listener in extension.on_close]


def case_change_listeners() -> list[Callable]:
    return [listener for extension in extensions() for listener in extension.on_case_change]


def anonymisers() -> list[Callable]:
    return [extension.anonymise for extension in extensions() if extension.anonymise]


def demo_seeders() -> list[Callable]:
    return [extension.seed_demo for extension in extensions() if extension.seed_demo]
