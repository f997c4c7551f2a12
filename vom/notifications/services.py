"""Queue, dispatch and cancel notifications. Sending happens only here, in the worker."""

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from vom.core.errors import DomainError

from .calendar import ics_for
from .models import Notification

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
STALE_CLAIM = timedelta(minutes=10)
# What each template needs in its context; a row missing one is refused when queued, not sent blank.
TEMPLATES: dict[str, set[str]] = {}


def register_template(name: str, required: set[str]) -> None:
    TEMPLATES[name] = set(required)


@dataclass
class Outgoing:
    """A notification to queue; ``dedupe_key`` decides whether it already exists."""

    dedupe_key: str
    template: str
    due_at: datetime
    context: dict = field(default_factory=dict)
    user: object | None = None
    email: str = ""
    name: str = ""
    case_id: int | None = None
    channel: str = Notification.Channel.EMAIL


def _check(item: Outgoing) -> None:
    required = TEMPLATES.get(item.template)
    if required is None:
        raise DomainError(f"Unknown notification template {item.template!r}.")
    missing = sorted(required - set(item.context))
    if missing:
        raise DomainError(f"Notification {item.template!r} is missing {', '.join(missing)}.")
    if item.user is None and not item.email:
        raise DomainError("A notification needs a user or an email address.")


def notifications_queue(items: list[Outgoing]) -> int:
    """Insert the rows whose dedupe key is new; existing keys are left alone. Returns how many were new.

    The unique constraint, not an in-memory check, is what makes a second run (a retry, a second beat)
    harmless: keys already present are skipped before inserting, and a row another process inserted
    meanwhile is ignored by ``ignore_conflicts`` on PostgreSQL and SQLite alike.
    """
    for item in items:
        _check(item)
    by_key = {item.dedupe_key[:200]: item for item in items}
    present = _existing(list(by_key))
    new = [(key, item) for key, item in by_key.items() if key not in present]
    Notification.objects.bulk_create(
        [
            Notification(
                dedupe_key=key, template=item.template, context=item.context, channel=item.channel, user=item.user,
                email=item.email, name=item.name, case_id=item.case_id, due_at=item.due_at,
            )
            for key, item in new
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )  # fmt: skip
    return len(new)


def _existing(keys: list[str], chunk: int = 5000) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), chunk):
        found.update(
            Notification.objects.filter(dedupe_key__in=keys[start : start + chunk]).values_list("dedupe_key", flat=True)
        )
    return found


def notifications_cancel(*, key_prefix: str) -> int:
    """Cancel pending notifications whose key starts with ``key_prefix`` (a meeting moved or called off)."""
    return Notification.objects.filter(dedupe_key__startswith=key_prefix, status=Notification.Status.PENDING).update(
        status=Notification.Status.CANCELLED
    )


def render(notification: Notification) -> tuple[str, str, str | None]:
    context = {**notification.context, "recipient_name": notification.name or str(notification.user or "")}
    base = f"notifications/{notification.template}"
    subject = " ".join(render_to_string(f"{base}/subject.txt", context).split())
    text = render_to_string(f"{base}/body.txt", context)
    try:
        html = render_to_string(f"{base}/body.html", context)
    except TemplateDoesNotExist:
        html = None
    return subject, text, html


def _deliver(notification: Notification) -> str:
    subject, text, html = render(notification)
    if notification.channel == Notification.Channel.EMAIL:
        message = EmailMultiAlternatives(subject=subject, body=text, to=[notification.recipient_email])
        if html:
            message.attach_alternative(html, "text/html")
        ics = notification.context.get("ics")
        if ics:
            message.attach("meeting.ics", ics_for(ics, uid=notification.dedupe_key), "text/calendar; method=PUBLISH")
        message.send(fail_silently=False)
    return subject


def _claim(pk: int, now) -> bool:
    return (
        Notification.objects.filter(pk=pk, status=Notification.Status.PENDING).update(
            status=Notification.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        == 1
    )


def notifications_dispatch(*, limit: int = 200, now=None) -> dict[str, int]:
    """Send what is due. Each row is claimed with a conditional UPDATE, so two workers never send it twice."""
    now = now or timezone.now()
    Notification.objects.filter(status=Notification.Status.SENDING, claimed_at__lt=now - STALE_CLAIM).update(
        status=Notification.Status.PENDING
    )
    due = Notification.objects.filter(status=Notification.Status.PENDING, due_at__lte=now).order_by("due_at", "pk")
    counts = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        if not _claim(pk, now):
            counts["skipped"] += 1
            continue
        notification = Notification.objects.select_related("user").get(pk=pk)
        try:
            subject = _deliver(notification)
        except (smtplib.SMTPException, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
            if notification.attempts >= MAX_ATTEMPTS:
                fields = {"status": Notification.Status.FAILED, "last_error": error}
                counts["failed"] += 1
                log.error("notification %s failed for good: %s", pk, error)
            else:
                backoff = timedelta(minutes=2**notification.attempts)
                fields = {"status": Notification.Status.PENDING, "last_error": error, "due_at": now + backoff}
                counts["retry"] += 1
            Notification.objects.filter(pk=pk).update(**fields)
        else:
            Notification.objects.filter(pk=pk).update(
                status=Notification.Status.SENT, sent_at=timezone.now(), subject=subject[:300], last_error=""
            )
            counts["sent"] += 1
    return counts


@transaction.atomic
def notification_resend(*, notification: Notification) -> None:
    """An admin puts a failed notification back in the queue."""
    Notification.objects.filter(pk=notification.pk, status=Notification.Status.FAILED).update(
        status=Notification.Status.PENDING, attempts=0, due_at=timezone.now(), last_error=""
    )


def notifications_mark_read(*, user, now=None) -> None:
    Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now or timezone.now())
