"""What a user may do with a case: one small policy, used by views, templates and services.

Seeing a case at all is decided by ``Case.objects.visible_to`` (outsiders get 404); this decides
what a user who sees it may do (a refused action is 403).
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from .models import Case, Party
from .selectors import get_case_for_user, user_roles

# action -> who may do it
COORDINATOR_ONLY = {"edit", "assign", "withdraw", "reopen"}
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


def get_case_for_action(user, pk: int, action: str) -> Case:
    """The case if the user may see it (else 404) and may do ``action`` on it (else 403)."""
    case = get_case_for_user(user, pk, Case.objects.for_case_page())
    if not can(user, action, case):
        raise PermissionDenied
    return case


def get_party_of_case(case: Case, party_pk: int) -> Party:
    """A party of this very case; another case's party id answers 404."""
    return get_object_or_404(Party.objects.select_related("person", "case"), pk=party_pk, case=case)
