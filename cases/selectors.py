"""Reads that more than one view needs."""

from dataclasses import dataclass, field

from django.http import Http404

from .models import Case, Membership


@dataclass(frozen=True)
class Roles:
    """What a signed-in user is, across programs; computed once per request."""

    coordinator_of: frozenset[int] = field(default_factory=frozenset)
    mediator_of: frozenset[int] = field(default_factory=frozenset)
    is_admin: bool = False

    @property
    def is_coordinator(self) -> bool:
        return bool(self.coordinator_of)

    @property
    def is_mediator(self) -> bool:
        return bool(self.mediator_of)

    @property
    def has_any(self) -> bool:
        return self.is_coordinator or self.is_mediator or self.is_admin


def user_roles(user) -> Roles:
    """The user's roles, cached on the user object so a request asks the database once."""
    if not getattr(user, "is_authenticated", False):
        return Roles()
    cached = getattr(user, "_vom_roles", None)
    if cached is None:
        coordinator_of, mediator_of = set(), set()
        for program_id, role in Membership.objects.filter(user=user).values_list("program_id", "role"):
            (coordinator_of if role == Membership.Role.COORDINATOR else mediator_of).add(program_id)
        cached = Roles(frozenset(coordinator_of), frozenset(mediator_of), user.is_staff or user.is_superuser)
        user._vom_roles = cached
    return cached


def get_case_for_user(user, pk: int, queryset=None) -> Case:
    """The case if the user may see it; 404 otherwise, so outsiders learn nothing of its existence."""
    qs = (queryset if queryset is not None else Case.objects.all()).visible_to(user)
    try:
        return qs.get(pk=pk)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None
