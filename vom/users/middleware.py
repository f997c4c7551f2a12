"""Idle sign-out: a session unused for SESSION_IDLE_MINUTES ends (the absolute limit is SESSION_COOKIE_AGE)."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout

KEY = "vom_last_seen"
REFRESH_SECONDS = 60  # write the session at most once a minute


class IdleTimeoutMiddleware:
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
