import time

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .middleware import session_fix_end


@receiver(user_logged_in)
def _stamp_sign_in(sender, request, user, **kwargs):
    """The absolute session lifetime counts from here (vom/users/middleware.py)."""
    if request is not None and hasattr(request, "session"):
        session_fix_end(request.session, time.time())
