"""Two-factor sign-in through the real pages: who must use it, setting it up, codes, throttling, backup
codes, enforcement on every URL, resets by an admin, and the demo's ``totp_code`` command.

Codes are computed from the device's key as an authenticator app does (django_otp.oath), never read from
the application.
"""

import re
from base64 import b32decode
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.cases.test_access import ACCESS, build_objects
from tests.factories import MembershipFactory, ProgramFactory, UserFactory
from tests.two_factor import code_for, give_authenticator
from vom.audit.models import AuditEvent
from vom.users.selectors import next_totp_code, two_factor_required

CODE_PAGE = "/accounts/two-factor/code/"
SETUP_PAGE = "/accounts/two-factor/set-up/"


def password_step(client, username, password, next_url=""):
    """Post the sign-in form; return where the app sends the user next."""
    response = client.post("/accounts/login/", {"username": username, "password": password, "next": next_url})
    assert response.status_code == 302, "the password was refused"
    landing = client.get(response["Location"])
    return landing["Location"] if landing.status_code == 302 else response["Location"]


def unthrottle(device):
    """As if the wait after the last wrong code had passed."""
    type(device).objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now() - timedelta(days=1))


def secret_on(page: str) -> str:
    match = re.search(r'<code class="secret" id="totp-secret">([A-Z2-7 ]+)</code>', page)
    assert match, "the set-up page shows no secret"
    return match.group(1).replace(" ", "")


def codes_on(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>", page)


def code_from_secret(secret: str) -> str:
    totp = TOTP(b32decode(secret))
    return f"{totp.token():06d}"


def test_the_qr_code_is_bare_svg_geometry_whatever_it_encodes():
    from vom.users.views import qr_svg

    svg = qr_svg('otpauth://totp/VOM:<script>alert("x")</script>?secret=ABC&issuer=a"b')
    assert re.fullmatch(r'<svg [^<>]*><path d="[MHVz0-9., ]+" ?[^<>]*/?>(</path>)?</svg>', svg), svg[:200]
    assert "script" not in svg and "style" not in svg


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


# --- Who must use it ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_coordinators_and_admins_must_use_it_mediators_only_where_their_program_asks(
    coordinator, mediator, admin_user, no_role_user, program
):
    staff_only = UserFactory(username="clerk", is_staff=True)
    flagged = ProgramFactory(name="Strict VOM", mediators_require_two_factor=True)
    strict_mediator = UserFactory(username="strict")
    MembershipFactory(user=strict_mediator, program=flagged, role="mediator")
    MembershipFactory(user=strict_mediator, program=program, role="mediator")  # one strict program is enough
    assert two_factor_required(coordinator)
    assert two_factor_required(admin_user)
    assert two_factor_required(staff_only)
    assert two_factor_required(strict_mediator)
    assert not two_factor_required(mediator)
    assert not two_factor_required(no_role_user)


@pytest.mark.django_db
def test_a_coordinator_without_an_app_must_set_one_up_before_anything_else(client, coordinator, password):
    assert password_step(client, "coord", password, "/cases/") == f"{SETUP_PAGE}?next=%2Fcases%2F"
    assert client.get("/cases/")["Location"] == f"{SETUP_PAGE}?next=%2Fcases%2F"
    assert client.get("/notifications/")["Location"].startswith(SETUP_PAGE)


@pytest.mark.django_db
def test_a_mediator_signs_in_with_the_password_alone_until_the_program_asks_for_more(
    client, mediator, program, password
):
    assert password_step(client, "med", password) == "/my/"
    program.mediators_require_two_factor = True
    program.save()
    # An open session is held to the new rule at its next request.
    assert client.get("/my/")["Location"].startswith(SETUP_PAGE)


@pytest.mark.django_db
def test_a_mediator_who_set_up_an_app_voluntarily_is_asked_for_a_code(client, mediator, password):
    device = give_authenticator(mediator)
    assert password_step(client, "med", password).startswith(CODE_PAGE)
    response = client.post(CODE_PAGE, {"code": code_for(device)})
    assert response.status_code == 302
    assert client.get("/my/").status_code == 200


# --- Setting up an authenticator app ---------------------------------------------------------------------


@pytest.mark.django_db
def test_setup_shows_a_qr_code_and_the_secret_and_a_right_code_turns_it_on(client, coordinator, password):
    password_step(client, "coord", password, "/cases/")
    page = client.get(f"{SETUP_PAGE}?next=/cases/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<div class="qr" role="img"' in html and "<svg" in html
    # The QR code is drawn by the server: no script but the layout's own (which only focuses an error summary).
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/js/forms.js" defer>']
    secret = secret_on(html)
    assert secret_on(client.get(SETUP_PAGE).content.decode()) == secret  # a reload keeps the same secret

    response = client.post(SETUP_PAGE, {"code": code_from_secret(secret), "next": "/cases/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/backup-codes/?next=%2Fcases%2F"
    codes_page = client.get(response["Location"]).content.decode()
    codes = codes_on(codes_page)
    assert len(codes) == 10
    assert "They are shown only this once" in codes_page
    assert "<code>" not in client.get("/accounts/two-factor/backup-codes/").content.decode()  # once only
    assert client.get("/cases/").status_code == 200
    device = TOTPDevice.objects.get(user=coordinator)
    assert device.confirmed
    assert [e.username for e in events(AuditEvent.Action.TWO_FACTOR_ENROLLED)] == ["coord"]


@pytest.mark.django_db
def test_setup_refuses_a_wrong_code_and_changes_nothing(client, coordinator, password):
    password_step(client, "coord", password)
    secret = secret_on(client.get(SETUP_PAGE).content.decode())
    wrong = f"{(int(code_from_secret(secret)) + 1) % 1_000_000:06d}"
    response = client.post(SETUP_PAGE, {"code": wrong})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=coordinator, confirmed=True).exists()
    assert not StaticDevice.objects.filter(user=coordinator).exists()
    assert client.get("/cases/")["Location"].startswith(SETUP_PAGE)
    assert events(AuditEvent.Action.TWO_FACTOR_FAILED)[0].what == "set-up code"


@pytest.mark.django_db
def test_a_new_app_replaces_the_old_one_once_confirmed(client, coordinator):
    old = give_authenticator(coordinator)
    client.force_login(coordinator)
    secret = secret_on(client.get(SETUP_PAGE).content.decode())
    assert TOTPDevice.objects.filter(user=coordinator).count() == 2  # the old one works until then
    client.post(SETUP_PAGE, {"code": code_from_secret(secret)})
    assert list(TOTPDevice.objects.filter(user=coordinator).values_list("confirmed", flat=True)) == [True]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert client.get("/cases/").status_code == 200  # the session stays verified, by the new app


@pytest.mark.django_db
def test_a_session_that_owes_a_code_cannot_set_up_a_new_app_instead(client, coordinator, password):
    give_authenticator(coordinator)
    password_step(client, "coord", password)
    response = client.get(SETUP_PAGE)
    assert response["Location"].startswith(CODE_PAGE)
    assert client.post(SETUP_PAGE, {"code": "123456"})["Location"].startswith(CODE_PAGE)
    assert TOTPDevice.objects.filter(user=coordinator).count() == 1


# --- The code page -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_right_code_verifies_the_session_and_goes_where_the_user_was_going(client, coordinator, password):
    device = give_authenticator(coordinator)
    assert password_step(client, "coord", password, "/outcome-checks/") == f"{CODE_PAGE}?next=%2Foutcome-checks%2F"
    response = client.post(f"{CODE_PAGE}?next=%2Foutcome-checks%2F", {"code": code_for(device)})
    assert response["Location"] == "/outcome-checks/"
    assert client.get("/outcome-checks/").status_code == 200
    assert [(e.username, e.what) for e in events(AuditEvent.Action.TWO_FACTOR_VERIFIED)] == [
        ("coord", "two-factor code")
    ]


@pytest.mark.django_db
def test_a_wrong_code_is_refused_with_a_message_and_changes_nothing(client, coordinator, password):
    device = give_authenticator(coordinator)
    password_step(client, "coord", password)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(CODE_PAGE, {"code": wrong})
    assert response.status_code == 200
    assert "That code is not right. Enter the newest 6-digit code" in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert client.get("/cases/")["Location"].startswith(CODE_PAGE)
    failed = events(AuditEvent.Action.TWO_FACTOR_FAILED)
    assert [(e.username, e.user_id, e.what) for e in failed] == [("coord", coordinator.pk, "two-factor code")]
    assert not events(AuditEvent.Action.TWO_FACTOR_VERIFIED)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the code."),
        ("   ", "Enter the code."),
        ("abcdef", "Enter the 6-digit code from your authenticator app, or one of your 10-character backup"),
        ("12345", "Enter the 6-digit code"),
        ("1234567", "Enter the 6-digit code"),
        ("\uff11\uff12\uff13\uff14\uff15\uff16", "Enter the 6-digit code"),  # full-width digits are not a code
        ("9" * 41, "That is longer than any code."),
        ("9" * 5000, "That is longer than any code."),
        ("<script>alert(1)</script>", "Enter the 6-digit code"),
    ],
)
def test_bad_input_on_the_code_page_gets_a_message_not_an_error(client, coordinator, password, typed, message):
    give_authenticator(coordinator)
    password_step(client, "coord", password)
    response = client.post(CODE_PAGE, {"code": typed})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "<script>alert" not in response.content.decode()
    assert client.get("/cases/").status_code == 302


@pytest.mark.django_db
def test_a_code_is_accepted_once(coordinator, password):
    device = give_authenticator(coordinator)
    laptop, tablet = Client(), Client()
    password_step(laptop, "coord", password)
    password_step(tablet, "coord", password)
    device.refresh_from_db()
    code = code_for(device)
    assert laptop.post(CODE_PAGE, {"code": code}).status_code == 302
    response = tablet.post(CODE_PAGE, {"code": code})
    assert response.status_code == 200 and "That code is not right" in response.content.decode()


@pytest.mark.django_db
def test_codes_are_throttled_after_a_wrong_one_and_the_wait_doubles(client, coordinator, password):
    device = give_authenticator(coordinator)
    password_step(client, "coord", password)
    client.post(CODE_PAGE, {"code": "000000" if code_for(device) != "000000" else "111111"})
    # Even the right code is not looked at during the wait.
    response = client.post(CODE_PAGE, {"code": code_for(device)})
    assert "Too many wrong codes. Wait 1 second, then" in response.content.decode()
    assert client.get("/cases/").status_code == 302
    for _ in range(4):
        unthrottle(device)
        client.post(CODE_PAGE, {"code": "000000" if code_for(device) != "000000" else "111111"})
    device.refresh_from_db()
    assert device.throttling_failure_count == 5
    response = client.post(CODE_PAGE, {"code": code_for(device)})
    assert re.search(r"Wait 1[56] seconds", response.content.decode())  # 2**4 seconds after five wrong codes
    whats = [e.what for e in events(AuditEvent.Action.TWO_FACTOR_FAILED)]
    assert whats.count("two-factor code (throttled)") == 2
    unthrottle(device)
    assert client.post(CODE_PAGE, {"code": code_for(device)}).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["https://evil.example.com/", "//evil.example.com/", "javascript:alert(1)"])
def test_the_code_page_never_sends_anyone_off_site(client, coordinator, password, next_url):
    device = give_authenticator(coordinator)
    password_step(client, "coord", password)
    response = client.post(CODE_PAGE, {"code": code_for(device), "next": next_url})
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_the_code_page_sends_a_user_who_owes_nothing_on(client, mediator):
    client.force_login(mediator)
    assert client.get(f"{CODE_PAGE}?next=/my/")["Location"] == "/my/"


# --- Enforcement: a session that owes a code reaches nothing -----------------------------------------------

OPEN_TO_A_SESSION_OWING_A_CODE = {"healthz", "logout", "users:two_factor_verify", "users:two_factor_setup"}


@pytest.fixture
def objects(case, mediator):
    return build_objects(case, mediator)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(set(ACCESS) - OPEN_TO_A_SESSION_OWING_A_CODE))
def test_a_coordinator_owing_a_code_gets_nothing_from_any_url(client, coordinator, objects, password_only_login, name):
    give_authenticator(coordinator)
    password_only_login(client, coordinator)
    url = ACCESS[name][0](objects)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(CODE_PAGE), url
    response = client.post(url, {"body": "x", "reason": "x", "code": "123456"})
    assert response.status_code == 302 and response["Location"] == CODE_PAGE, url


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/cases/case/", "/admin/users/user/", "/admin/audit/auditevent/", "/admin/login/"]
)
def test_an_admin_owing_a_code_gets_nothing_from_django_admin(client, admin_user, password_only_login, url):
    password_only_login(client, admin_user)  # no app yet: must set one up first
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(SETUP_PAGE)


@pytest.mark.django_db
def test_a_session_owing_a_code_can_still_sign_out_and_the_health_check_answers(
    client, coordinator, password_only_login
):
    give_authenticator(coordinator)
    password_only_login(client, coordinator)
    assert client.get("/healthz").status_code in {200, 503}
    assert client.get(CODE_PAGE).status_code == 200
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_page_owing_a_code_shows_no_navigation(client, coordinator, password_only_login):
    give_authenticator(coordinator)
    password_only_login(client, coordinator)
    html = client.get(CODE_PAGE).content.decode()
    assert 'aria-label="Main"' not in html and "Caseload" not in html
    assert "Sign out" in html


# --- Backup codes ----------------------------------------------------------------------------------------


def enrol(client, user, password):
    password_step(client, user.username, password)
    secret = secret_on(client.get(SETUP_PAGE).content.decode())
    response = client.post(SETUP_PAGE, {"code": code_from_secret(secret)})
    return codes_on(client.get(response["Location"]).content.decode())


@pytest.mark.django_db
def test_a_backup_code_signs_in_once(coordinator, password):
    codes = enrol(Client(), coordinator, password)
    client = Client()
    password_step(client, "coord", password)
    response = client.post(CODE_PAGE, {"code": codes[0].upper()}, follow=True)  # as printed, in capitals
    assert response.status_code == 200
    assert "You used a backup code; 9 left." in response.content.decode()
    assert StaticToken.objects.filter(device__user=coordinator).count() == 9
    assert codes[0].replace("-", "") not in StaticToken.objects.values_list("token", flat=True)
    assert events(AuditEvent.Action.TWO_FACTOR_VERIFIED)[-1].what == "backup code"

    look_alike = Client()  # typed with a 0 or 1 where the code has an o or l
    password_step(look_alike, "coord", password)
    StaticToken.objects.create(device=StaticDevice.objects.get(user=coordinator), token="lollipop22")
    assert look_alike.post(CODE_PAGE, {"code": " L011IP-0P22 "}).status_code == 302

    again = Client()
    password_step(again, "coord", password)
    response = again.post(CODE_PAGE, {"code": codes[0]})
    assert "That backup code is not right, or it was already used." in response.content.decode()
    assert again.get("/cases/").status_code == 302


@pytest.mark.django_db
def test_new_backup_codes_replace_the_old_ones(client, coordinator, password):
    old = enrol(client, coordinator, password)
    response = client.post("/accounts/two-factor/backup-codes/")
    new = re.findall(
        r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>", client.get(response["Location"]).content.decode()
    )
    assert len(new) == 10 and not set(new) & set(old)
    other = Client()
    password_step(other, "coord", password)
    assert "already used" in other.post(CODE_PAGE, {"code": old[1]}).content.decode()
    assert events(AuditEvent.Action.TWO_FACTOR_CODES)


# --- The security page and turning it off ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_security_page_says_what_is_on_and_why(client, coordinator, mediator):
    client.force_login(coordinator)
    html = client.get("/accounts/two-factor/").content.decode()
    assert "On." in html and "Your role requires it" in html and "Turn off" not in html
    client.force_login(mediator)
    html = client.get("/accounts/two-factor/").content.decode()
    assert "Off." in html and "Optional for you" in html and 'href="/accounts/two-factor/set-up/"' in html


@pytest.mark.django_db
def test_a_mediator_may_turn_it_off_with_a_code_a_coordinator_may_not(client, mediator, coordinator):
    device = give_authenticator(mediator)
    client.force_login(mediator)
    response = client.post("/accounts/two-factor/turn-off/", {"code": "abc"})
    assert response.status_code == 200 and TOTPDevice.objects.filter(user=mediator).exists()
    unthrottle(device)
    response = client.post("/accounts/two-factor/turn-off/", {"code": code_for(device)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=mediator).exists()
    assert client.get("/my/").status_code == 200

    boss = give_authenticator(coordinator)
    client.force_login(coordinator)
    response = client.post("/accounts/two-factor/turn-off/", {"code": code_for(boss)}, follow=True)
    assert "Your role requires two-factor sign-in, so it cannot be turned off." in response.content.decode()
    assert TOTPDevice.objects.filter(user=coordinator).exists()


# --- Reset by an admin -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_admin_resets_a_lost_phone_and_the_user_sets_up_a_new_app(coordinator, admin_user, password):
    enrol(Client(), coordinator, password)
    phone_session = Client()
    sign_in_session = Client()
    password_step(phone_session, "coord", password)
    assert StaticToken.objects.filter(device__user=coordinator).count() == 10

    admin = Client()
    admin.force_login(admin_user)
    page = admin.get(f"/admin/users/user/{coordinator.pk}/change/").content.decode()
    assert "Reset two-factor sign-in" in page and "10 backup codes left" in page
    url = f"/admin/users/user/{coordinator.pk}/two-factor-reset/"
    assert "signs them out everywhere" in admin.get(url).content.decode()
    assert TOTPDevice.objects.filter(user=coordinator).exists()  # the confirmation page changes nothing
    response = admin.post(url)
    assert response["Location"] == f"/admin/users/user/{coordinator.pk}/change/"

    assert not TOTPDevice.objects.filter(user=coordinator).exists()
    assert not StaticDevice.objects.filter(user=coordinator).exists()
    assert phone_session.get("/cases/")["Location"].startswith("/accounts/login/")  # signed out everywhere
    reset = events(AuditEvent.Action.TWO_FACTOR_REMOVED)
    assert [(e.username, e.what) for e in reset] == [
        ("root", f"two-factor sign-in of user {coordinator.pk} (coord), reset by an admin")
    ]
    assert password_step(sign_in_session, "coord", password).startswith(SETUP_PAGE)


@pytest.mark.django_db
def test_an_admin_who_resets_their_own_keeps_the_session_and_sets_up_a_new_app(client, admin_user):
    client.force_login(admin_user)
    response = client.post(f"/admin/users/user/{admin_user.pk}/two-factor-reset/")
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"].startswith(SETUP_PAGE)


@pytest.mark.django_db
def test_the_admin_action_resets_several_users(client, admin_user, coordinator, mediator):
    give_authenticator(coordinator)
    give_authenticator(mediator)
    client.force_login(admin_user)
    response = client.post(
        "/admin/users/user/",
        {"action": "reset_two_factor", "_selected_action": [coordinator.pk, mediator.pk]},
        follow=True,
    )
    assert "Two-factor sign-in reset for 2 user(s)" in response.content.decode()
    assert not TOTPDevice.objects.filter(user__in=[coordinator, mediator]).exists()
    assert len(events(AuditEvent.Action.TWO_FACTOR_REMOVED)) == 2


@pytest.mark.django_db
def test_the_reset_page_is_for_admins_only(client, coordinator, mediator):
    give_authenticator(mediator)
    client.force_login(coordinator)
    response = client.post(f"/admin/users/user/{mediator.pk}/two-factor-reset/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert TOTPDevice.objects.filter(user=mediator).exists()


@pytest.mark.django_db
def test_admin_shows_no_secrets(client, admin_user, coordinator):
    give_authenticator(coordinator)
    client.force_login(admin_user)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404
    key = TOTPDevice.objects.get(user=coordinator).key
    assert key not in client.get(f"/admin/users/user/{coordinator.pk}/change/").content.decode()


@pytest.mark.django_db
def test_the_program_flag_is_edited_in_admin(client, admin_user, program):
    client.force_login(admin_user)
    html = client.get(f"/admin/cases/program/{program.pk}/change/").content.decode()
    assert 'name="mediators_require_two_factor"' in html


# --- Sessions --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_verified_session_gets_a_new_key(client, coordinator, password):
    device = give_authenticator(coordinator)
    password_step(client, "coord", password)
    before = client.session.session_key
    client.post(CODE_PAGE, {"code": code_for(device)})
    assert client.session.session_key != before


# --- The demo's code printer -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_totp_code_refuses_when_debug_is_off(coordinator, settings):
    give_authenticator(coordinator)
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        call_command("totp_code", "coord", stdout=StringIO())


@pytest.mark.django_db
def test_totp_code_prints_a_code_the_code_page_accepts(client, coordinator, password, settings):
    give_authenticator(coordinator)
    settings.DEBUG = True
    out = StringIO()
    call_command("totp_code", "coord", stdout=out)
    code = out.getvalue().split()[0]
    assert re.fullmatch(r"\d{6}", code)
    password_step(client, "coord", password)
    assert client.post(CODE_PAGE, {"code": code}).status_code == 302
    with pytest.raises(CommandError, match="No user named 'nobody-here'"):
        call_command("totp_code", "nobody-here", stdout=StringIO())


@pytest.mark.django_db
def test_totp_code_names_a_user_without_an_app(mediator, settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="med has no authenticator app set up"):
        call_command("totp_code", "med", stdout=StringIO())


def test_next_code_waits_when_this_steps_codes_were_used():
    device = TOTPDevice(key="3132333435363738393031323334353637383930", step=30, t0=0, tolerance=1, drift=0)

    now = 30 * 1000 + 5
    device.last_t = -1
    assert next_totp_code(device, at=now)[1] == 0
    device.last_t = 1000  # this step's code was used: the next step's is accepted already
    assert next_totp_code(device, at=now)[1] == 0
    device.last_t = 1001  # both used: wait for the next step
    assert next_totp_code(device, at=now) == (next_totp_code(device, at=now + 25)[0], 25)
