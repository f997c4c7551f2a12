"""Idle sign-out (a session unused for SESSION_IDLE_MINUTES ends; the absolute limit is SESSION_COOKIE_AGE),
and the second factor owed after the password."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .selectors import second_factor_step

KEY = "vom_last_seen"
REFRESH_SECONDS = 60  # write the session at most once a minute


class IdleTimeoutMiddleware:
    """Sign out a session that was not used for a while."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            last = request.session.get(KEY)
            if last is not None and now - last > settings.SESSION_IDLE_MINUTES * 60:
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
