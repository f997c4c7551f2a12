"""What a user may do: one small policy, used by views, templates and services.

Seeing a case at all is decided by ``Case.objects.visible_to`` (outsiders get 404); ``can`` decides
what a user who sees it may do with it (a refused action is 403). Program-level pages (intake, the
caseload export, reoffending checks, the dashboard and reports) ask ``program_scope``/``programs_for``:
a user with no program in scope finds nothing there (404).
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from .extensions import CaseFacts, move_handlers
from .models import Case, Party, Program
from .selectors import get_case_for_user, user_roles
from .stages import moves_from

# action -> who may do it
COORDINATOR_ONLY = {
    "edit", "assign", "withdraw", "reopen", "record_outcome_check", "return_to_source", "report_progress",
    "minimise_party",
}  # fmt: skip
CASE_TEAM = {"work", "add_party", "edit_party", "note", "view_victim_contact"}  # coordinators and assigned mediators
MEDIATORS_ONLY = {"log_time"}  # assigned mediators


def is_coordinator_of(user, case: Case) -> bool:
    return case.program_id in user_roles(user).coordinator_of


def is_assigned_mediator(user, case: Case) -> bool:
    return case.program_id in user_roles(user).mediator_of and user.pk in {case.lead_mediator_id, case.co_mediator_id}


def can(user, action: str, case: Case) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if action == "view":
        return user.is_superuser or is_coordinator_of(user, case) or is_assigned_mediator(user, case)
    if action in COORDINATOR_ONLY:
        return is_coordinator_of(user, case)
    if action in CASE_TEAM:
        # Victim contact details included: the case's mediators and coordinators only, not admins.
        return is_coordinator_of(user, case) or is_assigned_mediator(user, case)
    if action in MEDIATORS_ONLY:
        return is_assigned_mediator(user, case)
    raise ValueError(f"unknown action {action!r}")


def permissions_for(user, case: Case) -> dict[str, bool]:
    """Every action at once, for templates that show or hide buttons (they never enforce)."""
    actions = {"view"} | COORDINATOR_ONLY | CASE_TEAM | MEDIATORS_ONLY
    return {action: can(user, action, case) for action in actions}


# Program-level actions: coordinators, in the programs they coordinate; the reports also admins, in every program.
PROGRAM_ACTIONS = {"intake", "export", "record_outcome_check", "view_reports"}


def _check_program_action(action: str) -> None:
    if action not in PROGRAM_ACTIONS:
        raise ValueError(f"unknown program action {action!r}")


def program_scope(user, action: str) -> frozenset[int]:
    """Ids of the programs where the user may do a program-level ``action`` (no query once roles are read);
    admins' every-program reach is ``programs_for``'s."""
    _check_program_action(action)
    return user_roles(user).coordinator_of


def programs_for(user, action: str):
    """The programs where the user may do a program-level ``action``, as a queryset."""
    _check_program_action(action)
    if action == "view_reports" and user.is_superuser:
        return Program.objects.all()
    return Program.objects.coordinated_by(user)


def moves_offered(facts: CaseFacts) -> list[dict]:
    """The stage moves the case page offers: each with what is still missing (its guard, from the page's
    facts) and whether the user may make it. Moves performed elsewhere (their own form, or by themselves) are
    not among them."""
    case, user = facts.case, facts.user
    handlers = move_handlers()
    offered = []
    for move in moves_from(case.stage):
        handler = handlers[move.name]
        if not handler.on_case_page:
            continue
        missing = handler.guard(facts)
        # A closing move is offered only when its condition holds; it is never a to-do list.
        if move.target == Case.Stage.CLOSED and missing:
            continue
        offered.append({"move": move, "missing": missing, "allowed": can(user, handler.permission, case)})
    return offered


def get_case_for_action(user, pk: int, action: str, *, read=None) -> Case:
    """The case if the user may see it (else 404) and may do ``action`` on it (else 403); read by ``read(user,
    pk)``, a selector that answers 404 itself (the case page's), when given."""
    case = read(user, pk) if read is not None else get_case_for_user(user, pk, Case.objects.for_case_page())
    if not can(user, action, case):
        raise PermissionDenied
    return case


def get_party_of_case(case: Case, party_pk: int) -> Party:
    """A party of this very case; another case's party id answers 404."""
    return get_object_or_404(Party.objects.select_related("person", "case"), pk=party_pk, case=case)
