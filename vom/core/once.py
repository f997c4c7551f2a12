"""Forms that save something once, however often they are sent (a double click, a reload, a replayed request).

A form that must be saved once carries a fresh one-time token (``OneTimeTokenMixin`` adds it as a hidden
field, so templates need nothing). The view is wrapped in ``once_per_submission``, the one place that
checks it: the first submission claims the token in the same transaction as everything the view saves;
a later one with the same token saves nothing and is told, on the page the first one led to, that it
was already saved. Two submissions at the same instant meet at the token's unique index: the second waits
for the first and then finds it claimed. A form shown again with its errors saved nothing, so its token is
released (the page shows a new one anyway); a view that refuses with a redirect says so with ``not_saved``.
A request without a token (not sent from one of the app's pages) is simply handled on its own.
"""

import uuid
from functools import wraps

from django import forms
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect

from .models import FormSubmission

FIELD = "form_token"
ALREADY_SAVED = "This was already saved: the same form was sent twice. Nothing was saved again."


class OneTimeTokenMixin:
    """Adds the hidden one-time token to a form; it never reaches ``cleaned_data``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[FIELD] = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)

    def clean(self):
        data = super().clean()
        if data is not None:
            data.pop(FIELD, None)
        return data


def not_saved(request) -> None:
    """For views that answer a refused form with a redirect: nothing was saved, release the token."""
    request.vom_not_saved = True


def _token(request) -> uuid.UUID | None:
    for key, value in request.POST.items():
        if key == FIELD or key.endswith(f"-{FIELD}"):
            try:
                return uuid.UUID(value)
            except ValueError:
                return None
    return None


def once_per_submission(view):
    """A POST view whose form carries a one-time token saves once per token (see the module's docstring)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST" or not request.user.is_authenticated:
            return view(request, *args, **kwargs)
        token = _token(request)
        if token is None:  # not sent from one of our pages (a script): each such request stands alone
            return view(request, *args, **kwargs)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    claim = FormSubmission.objects.create(user=request.user, token=token)
            except IntegrityError:
                first = FormSubmission.objects.filter(user=request.user, token=token).values_list("location")
                messages.info(request, ALREADY_SAVED)
                return redirect((first.first() or [""])[0] or request.get_full_path())
            response = view(request, *args, **kwargs)
            if 300 <= response.status_code < 400 and not getattr(request, "vom_not_saved", False):
                FormSubmission.objects.filter(pk=claim.pk).update(location=response.get("Location", "")[:500])
            else:
                transaction.set_rollback(True)  # nothing was saved: neither is the token
        return response

    return wrapper
