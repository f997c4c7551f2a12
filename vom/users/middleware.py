"""Session limits (idle sign-out after SESSION_IDLE_MINUTES; an absolute end SESSION_COOKIE_AGE after sign-in,
whatever the activity), and the second factor owed after the password."""

import time
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .selectors import second_factor_step

KEY = "vom_last_seen"
SIGNED_IN_KEY = "vom_signed_in_at"
REFRESH_SECONDS = 60  # write the session at most once a minute


def session_fix_end(session, signed_in_at: float) -> None:
    """The session ends SESSION_COOKIE_AGE after sign-in: an absolute expiry, so the periodic save of the
    idle stamp cannot push it back (a relative one is counted again from every save)."""
    session[SIGNED_IN_KEY] = signed_in_at
    session.set_expiry(datetime.fromtimestamp(signed_in_at + settings.SESSION_COOKIE_AGE, tz=UTC))


class IdleTimeoutMiddleware:
    """Sign out a session that was not used for a while, or that reached its absolute lifetime."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            last = request.session.get(KEY)
            signed_in = request.session.get(SIGNED_IN_KEY)
            if signed_in is None:  # a session from before sign-in times were kept: its lifetime starts now
                session_fix_end(request.session, now)
            elif now - signed_in > settings.SESSION_COOKIE_AGE:
                logout(request)
                hours = settings.SESSION_COOKIE_AGE // 3600
                messages.info(request, f"You were signed out: a session lasts at most {hours} hours. Sign in again.")
            elif last is not None and now - last > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)
                messages.info(request, "You were signed out after a period without activity. Please sign in again.")
            elif last is None or now - last > REFRESH_SECONDS:
                request.session[KEY] = now
        return self.get_response(request)


class SecondFactorMiddleware:
    """The one place that keeps a signed-in user who still owes a second factor away from everything else.

    Runs after django_otp's OTPMiddleware (which tells whether this session passed a code). Someone who
    has an authenticator app goes to the code page; someone whose role requires one and who has none
    goes to set one up. Every other page, Django admin included, redirects there; only these pages,
    sign-out and the health check answer.
    """

    OPEN_VIEWS = {"users:two_factor_verify", "users:two_factor_setup", "logout", "admin:logout", "healthz"}
    PAGES = {"verify": "users:two_factor_verify", "setup": "users:two_factor_setup"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        step = second_factor_step(request.user)
        request.second_factor_step = step  # the layout hides the navigation meanwhile
        if step is None or request.resolver_match.view_name in self.OPEN_VIEWS:
            return None
        if request.path_info.startswith(settings.STATIC_URL):
            return None
        request.vom_audited = True  # refused before the view ran: nothing changed, so no change is recorded
        target = reverse(self.PAGES[step])
        if request.method in {"GET", "HEAD"}:
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)
