"""The parts of the case page that follow from the case's records alone, kept in this process per case revision.

The next action and the moves on offer, the parties and every extension's panel are written from the case's
facts (``cases.selectors.case_facts``: its parties, meetings, agreements…), which cost the page three queries and
most of its rendering. Every write to a record they are read from changes the case's revision in the write's own
transaction (``CaseRevision``, PostgreSQL triggers of cases migrations 0025 and 0026), so parts kept under the
revision are never shown after their records changed, to anyone: the user who wrote included. The key also holds
everything the page's one query of the case read (the case's row, what each app reads with it, its program and
mediators), the user and their permissions on the case, the day, the language, the time zone and the address
prefix; the CSRF token is written in on each request, never kept.

Not kept: where the case's people are in other cases (``has_earlier``), which the case's revision does not follow
(those cases change without it), and anywhere without revisions (SQLite): the parts are then written each time.
Kept in the process only (the latest ``KEPT``): they name victims and offenders and hold contact details, which
stay out of the shared cache.
"""

import hashlib
import secrets
from typing import NamedTuple

from django.db import connection
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from vom.core.forms import Fragments

from .extensions import panels
from .forms import VersionForm
from .models import Case
from .policies import moves_offered
from .selectors import case_facts, next_action_of
from .templatetags.vom_tags import party_items

# Written where each form's CSRF token goes, and replaced by the request's token: random per process, so that no
# text a user typed (a name, a meeting's notes) can be mistaken for it.
CSRF_MARK = f"csrf{secrets.token_hex(16)}"


class CaseParts(NamedTuple):
    head: SafeString  # the next action and the moves on offer
    parties: SafeString  # ``<li>`` per party
    panels: SafeString  # every extension's section, in order


# Read with the case's mediators but shown nowhere: a mediator's sign-in must not make their cases' parts new.
UNSHOWN = {"_state", "password", "last_login"}


def _loaded(obj) -> list:
    """What a model instance was read with (its columns and annotations), and its related instances', in order."""
    values = [value for name, value in obj.__dict__.items() if name not in UNSHOWN]
    for related in obj._state.fields_cache.values():
        values.append(_loaded(related) if related is not None else None)
    return values


def _write(case: Case, user, perms: dict) -> tuple[str, str, str]:
    facts = case_facts(case, user, perms=perms)
    shared = {"case": case, "perms": perms, "csrf_token": CSRF_MARK}
    head = render_to_string(
        "cases/case_head.html",
        {
            **shared,
            "next_action": next_action_of(facts),
            "moves": moves_offered(facts),
            "version_form": VersionForm(initial={"version": case.version}),
        },
    )
    written = [render_to_string(p.template, {**shared, "panel": p.load(facts)}) for p in panels()]
    return head, party_items(case, facts.parties, perms, facts.earlier), "".join(written)


class KeptCaseParts:
    """``CaseParts`` of a case for a request, written only when not kept under the same key (see the module)."""

    KEPT = 1_000

    def __init__(self):
        self.fragments = Fragments(kept=self.KEPT)

    def key(self, case: Case, user, perms: dict) -> tuple | None:
        """None where nothing may be kept for this case."""
        if connection.vendor != "postgresql" or getattr(case, "has_earlier", True):
            return None
        row = hashlib.blake2b(repr(_loaded(case)).encode(), digest_size=16).digest()
        context = (timezone.localdate(), get_language(), timezone.get_current_timezone_name(), get_script_prefix())
        return (case.pk, case.revision, row, user.pk, tuple(sorted(perms.items())), *context)

    def of(self, request, case: Case, perms: dict) -> CaseParts:
        """``case`` as ``cases.selectors.get_case_for_page`` read it, with its ``revision``."""
        key = self.key(case, request.user, perms)
        write = lambda: _write(case, request.user, perms)  # noqa: E731
        # One entry per case and user: a newer revision (a minimised party, say) replaces what the older showed.
        parts = write() if key is None else self.fragments.get(key, write, slot=(case.pk, request.user.pk))
        token = get_token(request)
        # Each part was written by templates and tags that escape every value; the mark is letters and digits.
        return CaseParts(*(mark_safe(part.replace(CSRF_MARK, token)) for part in parts))  # noqa: S308  # nosec B308 B703

    def clear(self) -> None:
        self.fragments.html.clear()


case_page_parts = KeptCaseParts()
