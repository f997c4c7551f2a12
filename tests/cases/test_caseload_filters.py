"""The caseload filter's choices are kept in the cache under each program's ``filters_version``: every write
that changes what the filter offers shows on the next request, and the form is the same cached or not."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from cases.models import Membership, Program, ReferralSource
from tests.factories import MembershipFactory, ProgramFactory, ReferralSourceFactory, UserFactory


def offered(client, field: str) -> dict[str, str]:
    """The options of one select of the caseload filter, as the page shows them (value: label)."""
    page = client.get("/cases/").content.decode()
    select = re.search(rf'<select name="{field}".*?</select>', page, re.S).group(0)
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select))


@pytest.fixture
def signed_in(client, coordinator, mediator):
    client.force_login(coordinator)
    assert offered(client, "mediator")[str(mediator.pk)] == "Grace Okafor"  # now cached
    return client


@pytest.mark.django_db
def test_a_new_mediator_shows_at_once(signed_in, program):
    newcomer = MembershipFactory(program=program, role="mediator", user=UserFactory(first_name="Ana", last_name="Bell"))
    assert offered(signed_in, "mediator")[str(newcomer.user_id)] == "Ana Bell"


@pytest.mark.django_db
def test_a_membership_added_in_django_admin_shows_at_once(signed_in, client, program, admin_user, coordinator):
    newcomer = UserFactory(first_name="Ana", last_name="Bell")
    client.force_login(admin_user)
    added = {"user": newcomer.pk, "program": program.pk, "role": "mediator"}
    response = client.post("/admin/cases/membership/add/", added)
    assert response.status_code == 302
    client.force_login(coordinator)
    assert offered(client, "mediator")[str(newcomer.pk)] == "Ana Bell"


@pytest.mark.django_db
def test_a_mediator_removed_or_moved_to_another_program_goes_at_once(signed_in, program, mediator, unassigned_mediator):
    assert str(unassigned_mediator.pk) in offered(signed_in, "mediator")
    Membership.objects.get(user=unassigned_mediator).delete()
    assert str(unassigned_mediator.pk) not in offered(signed_in, "mediator")
    moved = Membership.objects.get(user=mediator, role="mediator")
    moved.program = ProgramFactory(name="Elsewhere VOM")
    moved.save()
    assert str(mediator.pk) not in offered(signed_in, "mediator")


@pytest.mark.django_db
def test_a_mediator_made_coordinator_leaves_the_list(signed_in, mediator):
    membership = Membership.objects.get(user=mediator)
    membership.role = Membership.Role.COORDINATOR
    membership.save()
    assert str(mediator.pk) not in offered(signed_in, "mediator")


@pytest.mark.django_db
def test_a_renamed_mediator_shows_their_new_name_and_a_sign_in_keeps_the_cache(signed_in, mediator):
    before = Program.objects.get().filters_version
    mediator.last_login = None
    mediator.save(update_fields=["last_login"])  # what every sign-in does
    assert Program.objects.get().filters_version == before
    mediator.last_name = "Okafor-Reyes"
    mediator.save()  # as Django admin's user form saves
    assert offered(signed_in, "mediator")[str(mediator.pk)] == "Grace Okafor-Reyes"
    get_user_model().objects.filter(pk=mediator.pk).update(is_active=False)  # the admin's Deactivate action
    assert str(mediator.pk) in offered(signed_in, "mediator")  # still offered: their cases remain


@pytest.mark.django_db
def test_referral_sources_added_renamed_or_deleted_show_at_once(signed_in, client, program, admin_user, coordinator):
    client.force_login(admin_user)
    response = client.post(
        "/admin/cases/referralsource/add/",
        {"name": "Youth Court", "kind": "court", "program": program.pk, "active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client.force_login(coordinator)
    source = ReferralSource.objects.get(name="Youth Court")
    assert offered(client, "source")[str(source.pk)] == "Youth Court"
    source.name = "Juvenile Court"
    source.save()
    assert offered(client, "source")[str(source.pk)] == "Juvenile Court"
    source.delete()
    assert str(source.pk) not in offered(client, "source")


@pytest.mark.django_db
def test_a_renamed_program_shows_its_new_name_even_saved_from_an_old_copy(signed_in, program):
    old_copy = Program.objects.get(pk=program.pk)
    ReferralSourceFactory(program=program, name="Police")  # a change after the copy was read
    old_copy.name = "Riverbend Restorative Justice"
    old_copy.save()  # writes back the version it read; the save gives it a new one
    assert offered(signed_in, "program")[str(program.pk)] == "Riverbend Restorative Justice"
    assert "Police" in offered(signed_in, "source").values()


@pytest.mark.django_db
def test_the_demo_mediator_pool_bulk_insert_shows_at_once(signed_in, program):
    from cases.demo import _ensure_mediator_pool

    _ensure_mediator_pool(program, 5)
    pool = get_user_model().objects.filter(username__startswith="mediator")
    assert pool.exists()
    assert {str(pk) for pk in pool.values_list("pk", flat=True)} <= set(offered(signed_in, "mediator"))


@pytest.mark.django_db
def test_the_filter_is_the_same_cached_or_built(signed_in, program, coordinator, mediator):
    for n in range(30):
        MembershipFactory(program=program, role="mediator", user=UserFactory(first_name=f"A<{n}>", last_name="B&C"))
    ReferralSourceFactory(program=program, name="Court & Co")

    def form(query=""):
        page = signed_in.get(f"/cases/{query}").content.decode()
        return re.search(r'<form method="get" class="filter-bar".*?</form>', page, re.S).group(0)

    for query in ("", f"?mediator={mediator.pk}", "?source=999999"):
        cache.clear()
        built = form(query)
        assert form(query) == built  # from the cache
    assert f'<option value="{mediator.pk}" selected>Grace Okafor</option>' in form(f"?mediator={mediator.pk}")
    assert "A&lt;3&gt; B&amp;C" in built and "Select a valid choice" in built


@pytest.mark.django_db
def test_the_caseload_works_while_the_cache_is_unreachable(signed_in, settings, mediator):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    assert offered(signed_in, "mediator")[str(mediator.pk)] == "Grace Okafor"


@pytest.mark.django_db
def test_a_mediator_is_offered_only_colleagues_of_their_own_cases(client, program, mediator, unassigned_mediator):
    from tests.factories import CaseFactory

    client.force_login(mediator)
    assert set(offered(client, "mediator")) == {""}
    CaseFactory(program=program, stage="screening", lead_mediator=mediator, co_mediator=unassigned_mediator)
    assert set(offered(client, "mediator")) == {"", str(mediator.pk), str(unassigned_mediator.pk)}


@pytest.mark.django_db
def test_each_filter_field_kept_is_what_its_template_writes(signed_in, program, coordinator, mediator):
    """The fields written once and kept (``CaseloadFilterForm.FRAGMENTS``) are, for every query, what
    cases/_filter_field.html writes for the request's own form: chosen values, errors and escaping included."""
    from django.template.loader import render_to_string

    from cases.forms import CaseloadFilterForm
    from cases.selectors import caseload_filter_choices

    scripted = UserFactory(first_name="<script>x</script>", last_name="Z")
    MembershipFactory(program=program, role="mediator", user=scripted)
    ReferralSourceFactory(program=program, name="<b>Court</b> & Co")
    queries = [
        "", "?stage=screening", f"?mediator={mediator.pk}", "?overdue=on&sort=number", "?source=999999",
        "?referred_from=2026-02-01&referred_to=2026-01-01", "?q=%3Cscript%3E", "?juvenile=yes&program=1",
    ]  # fmt: skip
    for _round in range(2):  # written, then kept
        for query in queries:
            page = signed_in.get(f"/cases/{query}").content.decode()
            data = dict(re.findall(r"(\w+)=([^&]*)", query.lstrip("?").replace("%3C", "<").replace("%3E", ">")))
            form = CaseloadFilterForm(data or None, **caseload_filter_choices(coordinator))
            form.is_valid()
            for name in form.fields:
                assert render_to_string("cases/_filter_field.html", {"field": form[name]}) in page, (query, name)
            assert page.count('<div class="filter-bar__item') == len(form.fields) + 1  # and the buttons
            assert "<script>x" not in page and "&lt;script&gt;x&lt;/script&gt; Z" in page
            assert "&lt;b&gt;Court&lt;/b&gt; &amp; Co" in page


@pytest.mark.django_db
def test_a_mediators_filter_is_never_a_coordinators_kept_one(signed_in, client, program, mediator, unassigned_mediator):
    """The coordinator's page keeps the program's mediators; a mediator of the same program is still offered
    only the colleagues of their own cases."""
    assert str(unassigned_mediator.pk) in offered(signed_in, "mediator")
    client.force_login(mediator)
    assert set(offered(client, "mediator")) == {""}
    assert set(offered(client, "program")) == {"", str(program.pk)}


@pytest.mark.django_db
def test_a_mediators_colleagues_follow_their_assignments_and_names(client, program, mediator, unassigned_mediator):
    """A mediator's colleagues are kept per process under their ids and the program's filter version: a new
    colleague, a colleague renamed (even one who has since left the program) and a colleague no longer on any
    of their cases show on the next request."""
    from cases.selectors import COLLEAGUES
    from tests.factories import CaseFactory

    COLLEAGUES.html.clear()
    client.force_login(mediator)
    case = CaseFactory(program=program, stage="screening", lead_mediator=mediator, co_mediator=unassigned_mediator)
    assert offered(client, "mediator")[str(unassigned_mediator.pk)] == "Erik Lindqvist"
    assert offered(client, "mediator")[str(unassigned_mediator.pk)] == "Erik Lindqvist"  # kept
    Membership.objects.filter(user=unassigned_mediator).delete()  # left the program; their cases remain
    assert offered(client, "mediator")[str(unassigned_mediator.pk)] == "Erik Lindqvist"
    unassigned_mediator.first_name = "Erika"
    unassigned_mediator.save()
    assert offered(client, "mediator")[str(unassigned_mediator.pk)] == "Erika Lindqvist"
    other = UserFactory(first_name="Noor", last_name="Haddad")
    MembershipFactory(program=program, role="mediator", user=other)
    CaseFactory(program=program, stage="screening", lead_mediator=mediator, co_mediator=other)
    assert offered(client, "mediator")[str(other.pk)] == "Noor Haddad"
    case.co_mediator = None
    case.save()
    assert str(unassigned_mediator.pk) not in offered(client, "mediator")
