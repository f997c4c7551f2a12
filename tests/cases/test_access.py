"""Who reaches which URL. The URLconf walk fails when a new URL has no entry here."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from cases.models import Case

ROLES = [
    "anonymous",
    "no_role",
    "mediator",
    "unassigned_mediator",
    "coordinator",
    "other_coordinator",
    "admin",
]

# URL name -> (path builder, expected status per role). "login" means a redirect to sign in.
ALL_SIGNED_IN_OK = {role: 200 for role in ROLES if role != "anonymous"} | {"anonymous": "login"}
ACCESS = {
    "cases:home": (lambda case: "/", {**{r: 302 for r in ROLES}, "no_role": 200, "anonymous": "login"}),
    "cases:list": (lambda case: "/cases/", ALL_SIGNED_IN_OK),
    "cases:detail": (
        lambda case: f"/cases/{case.pk}/",
        {
            "anonymous": "login",
            "no_role": 404,
            "mediator": 200,
            "unassigned_mediator": 404,
            "coordinator": 200,
            "other_coordinator": 404,
            "admin": 200,
        },
    ),
    "healthz": (lambda case: "/healthz", {r: 200 for r in ROLES}),
    "login": (lambda case: "/accounts/login/", {**{r: 302 for r in ROLES}, "anonymous": 200}),
    "logout": (lambda case: "/accounts/logout/", {r: 405 for r in ROLES}),  # GET refused; POST signs out
    "password_change": (lambda case: "/accounts/password_change/", ALL_SIGNED_IN_OK),
    "password_change_done": (lambda case: "/accounts/password_change/done/", ALL_SIGNED_IN_OK),
    "password_reset": (lambda case: "/accounts/password_reset/", {r: 200 for r in ROLES}),
    "password_reset_done": (lambda case: "/accounts/password_reset/done/", {r: 200 for r in ROLES}),
    "password_reset_confirm": (lambda case: "/accounts/reset/MQ/bad-token/", {r: 200 for r in ROLES}),
    "password_reset_complete": (lambda case: "/accounts/reset/done/", {r: 200 for r in ROLES}),
}
# Django admin guards itself (staff only); its own tests cover it.
EXEMPT_NAMESPACES = {"admin"}


def walk(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            if ns in EXEMPT_NAMESPACES:
                continue
            yield from walk(entry, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def test_every_url_has_an_access_entry():
    missing = sorted(set(walk()) - set(ACCESS))
    assert missing == [], f"add these URL names to ACCESS: {missing}"


@pytest.fixture
def users(no_role_user, mediator, unassigned_mediator, coordinator, other_coordinator, admin_user):
    return {
        "anonymous": None,
        "no_role": no_role_user,
        "mediator": mediator,
        "unassigned_mediator": unassigned_mediator,
        "coordinator": coordinator,
        "other_coordinator": other_coordinator,
        "admin": admin_user,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(ACCESS))
@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(client, users, case, name, role):
    build, expected_by_role = ACCESS[name]
    expected = expected_by_role[role]
    if users[role] is not None:
        client.force_login(users[role])
    response = client.get(build(case))
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    else:
        assert response.status_code == expected


@pytest.mark.django_db
def test_visible_to_scopes_cases_by_role(
    case, mediator, unassigned_mediator, coordinator, other_coordinator, admin_user
):
    from tests.factories import CaseFactory

    other = CaseFactory(program=other_coordinator.memberships.get().program)
    assert set(Case.objects.visible_to(mediator)) == {case}
    assert set(Case.objects.visible_to(unassigned_mediator)) == set()
    assert set(Case.objects.visible_to(coordinator)) == {case}
    assert set(Case.objects.visible_to(other_coordinator)) == {other}
    assert set(Case.objects.visible_to(admin_user)) == {case, other}


@pytest.mark.django_db
def test_a_mediator_who_leaves_the_program_loses_sight_of_its_cases(case, mediator):
    mediator.memberships.all().delete()
    assert not Case.objects.visible_to(mediator).exists()


@pytest.mark.django_db
def test_a_deactivated_user_sees_nothing(case, coordinator):
    coordinator.is_active = False
    assert not Case.objects.visible_to(coordinator).exists()


@pytest.mark.django_db
def test_co_mediator_sees_the_case(case, unassigned_mediator):
    case.co_mediator = unassigned_mediator
    case.save()
    assert list(Case.objects.visible_to(unassigned_mediator)) == [case]
