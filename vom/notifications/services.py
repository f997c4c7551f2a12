"""Queue, dispatch and cancel notifications. Sending happens only here, in the worker.

Delivery guarantee. Each row is claimed (PENDING -> SENDING, stamped ``claimed_at``) by a conditional
UPDATE before it is sent and marked SENT right after the mail server accepted it, on one SMTP connection
per batch. A claim is a lease of NOTIFICATION_CLAIM_SECONDS: when the worker holding it dies, the row goes
back to PENDING once the lease has run out and is sent then. So every due notification is sent, and sent
once, with one exception no outbox can remove without the receiver's help: a worker that dies in the
moment between the server's "250 accepted" and the UPDATE leaves a sent row looking unsent, and that one
message goes out a second time. It carries the same Message-ID both times (derived from the row), so
mail clients that drop duplicates by Message-ID show it once. tests/drills/test_worker_crash.py kills a
worker at both points.
"""

import contextlib
import hashlib
import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from vom.core.errors import DomainError

from .calendar import ics_for
from .models import Notification, TextOptOut
from .sms import SmsError, fit, outside_quiet_hours, quiet_window
from .sms import provider as sms_provider

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
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
    language: str = "en"  # what the recipient reads: staff English, a party their document language
    phone: str = ""
    # Texts only: the program's quiet hours (local start, end); a text due then waits until they end, or
    # with ``quiet_earlier`` goes just before they begin (a reminder shortly before a morning meeting).
    quiet_hours: tuple[time, time] | None = None
    quiet_earlier: bool = False


def _check(item: Outgoing) -> None:
    required = TEMPLATES.get(item.template)
    if required is None:
        raise DomainError(f"Unknown notification template {item.template!r}.")
    missing = sorted(required - set(item.context))
    if missing:
        raise DomainError(f"Notification {item.template!r} is missing {', '.join(missing)}.")
    if item.channel == Notification.Channel.SMS:
        if not item.phone.startswith("+"):
            raise DomainError("A text message needs a phone number in E.164 (+15551230000).")
        get_template(f"notifications/{item.template}/sms.txt")  # a template without a text version fails here
    elif item.user is None and not item.email:
        raise DomainError("A notification needs a user or an email address.")


def _due(item: Outgoing, now: datetime) -> datetime:
    """When a text may go: never in the program's quiet hours."""
    if item.channel != Notification.Channel.SMS or item.quiet_hours is None:
        return item.due_at
    start, end = item.quiet_hours
    due = outside_quiet_hours(item.due_at, start=start, end=end, earlier=item.quiet_earlier)
    if due < now:  # too late to go earlier: when the quiet hours end, then
        due = outside_quiet_hours(max(item.due_at, now), start=start, end=end)
    return due


def _context(item: Outgoing) -> dict:
    if item.channel != Notification.Channel.SMS or item.quiet_hours is None:
        return item.context
    return item.context | {"quiet_hours": [f"{t:%H:%M}" for t in item.quiet_hours]}  # checked again when sending


def notifications_queue(items: list[Outgoing]) -> int:
    """Insert the rows whose dedupe key is new; existing keys are left alone. Returns how many were new.

    The unique constraint, not an in-memory check, is what makes a second run (a retry, a second beat)
    harmless: keys already present are skipped before inserting, and a row another process inserted
    meanwhile is ignored by ``ignore_conflicts`` on PostgreSQL and SQLite alike.
    """
    for item in items:
        _check(item)
    by_key = {item.dedupe_key[:200]: item for item in items}
    present = existing_keys(list(by_key))
    stopped = opted_out({item.phone for item in by_key.values() if item.channel == Notification.Channel.SMS})
    new = [
        (key, item)
        for key, item in by_key.items()
        if key not in present and (item.phone not in stopped or item.context.get("after_stop"))
    ]  # the one text a number gets after STOP is the confirmation
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                dedupe_key=key, template=item.template, context=_context(item), channel=item.channel,
                user=item.user, email=item.email, name=item.name, phone=item.phone, case_id=item.case_id,
                due_at=_due(item, now), language=item.language,
            )
            for key, item in new
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )  # fmt: skip
    return len(new)


def existing_keys(keys: list[str], chunk: int = 5000) -> set[str]:
    """The keys of ``keys`` already in the outbox, read in bulk (a planner skips writing what they cover)."""
    found: set[str] = set()
    for start in range(0, len(keys), chunk):
        found.update(
            Notification.objects.filter(dedupe_key__in=keys[start : start + chunk]).values_list("dedupe_key", flat=True)
        )
    return found


def opted_out(numbers) -> set[str]:
    numbers = [n for n in numbers if n]
    return set(TextOptOut.objects.filter(number__in=numbers).values_list("number", flat=True)) if numbers else set()


def notifications_cancel(*, key_prefix: str) -> int:
    """Cancel pending notifications whose key starts with ``key_prefix`` (a meeting moved or called off)."""
    return Notification.objects.filter(dedupe_key__startswith=key_prefix, status=Notification.Status.PENDING).update(
        status=Notification.Status.CANCELLED
    )


def render(notification: Notification) -> tuple[str, str, str | None]:
    """Subject, text and HTML in the notification's language (its context was written in that language too)."""
    context = {**notification.context, "recipient_name": notification.name or str(notification.user or "")}
    base = f"notifications/{notification.template}"
    with translation.override(notification.language or "en"):
        subject = " ".join(render_to_string(f"{base}/subject.txt", context).split())
        text = render_to_string(f"{base}/body.txt", context)
        try:
            html = render_to_string(f"{base}/body.html", context)
        except TemplateDoesNotExist:
            html = None
    return subject, text, html


def message_id(notification: Notification) -> str:
    """The same Message-ID on every attempt, so a receiver can recognise a repeated message."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(notification.dedupe_key.encode()).hexdigest()[:16]
    return f"<vom.notification.{notification.pk}.{digest}@{domain}>"


def render_text(notification: Notification) -> str:
    """A text message's words: one line, at most two segments (GSM-7 or UCS-2 counted as phones do)."""
    context = {**notification.context, "recipient_name": notification.name}
    with translation.override(notification.language or "en"):
        return fit(render_to_string(f"notifications/{notification.template}/sms.txt", context))


def _deliver(notification: Notification, connection) -> str:
    if notification.channel == Notification.Channel.SMS:
        notification.provider_id = connection.sms().send(
            to=notification.phone, body=render_text(notification), key=notification.dedupe_key
        )
        return f"Text message ({notification.template.replace('_', ' ')})"
    subject, text, html = render(notification)
    if notification.channel == Notification.Channel.EMAIL:
        headers = {"Message-ID": message_id(notification)}
        stop_url = notification.context.get("stop_url")
        if stop_url:  # RFC 8058: mail clients offer a one-click "unsubscribe" that POSTs to the same link
            headers |= {"List-Unsubscribe": f"<{stop_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            to=[notification.recipient_email],
            headers=headers,
            connection=connection.get(),
        )
        if html:
            message.attach_alternative(html, "text/html")
        event = notification.context.get("ics")
        if event:
            ics = ics_for(event, recipient_email=notification.recipient_email, recipient_name=notification.name,
                          language=notification.language)  # fmt: skip
            method = event.get("method", "REQUEST")
            message.attach("meeting.ics", ics, f"text/calendar; method={method}")
        message.send(fail_silently=False)
    return subject


def _claim(pk: int) -> datetime | None:
    """Take the row for this worker; the returned stamp identifies the claim (and starts its lease)."""
    claimed_at = timezone.now()
    rows = Notification.objects.filter(pk=pk, status=Notification.Status.PENDING).update(
        status=Notification.Status.SENDING, claimed_at=claimed_at, attempts=F("attempts") + 1
    )
    return claimed_at if rows == 1 else None


def _release_expired_claims() -> None:
    """Rows whose claim outlived its lease: the worker holding them died (or hung past EMAIL_TIMEOUT).

    They are sent again, unless their claims keep dying (a message that crashes the worker), which ends as
    a visible failure after MAX_ATTEMPTS.
    """
    lease = timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)
    expired = Notification.objects.filter(status=Notification.Status.SENDING, claimed_at__lt=timezone.now() - lease)
    expired.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=Notification.Status.FAILED, last_error="The worker sending it stopped every time."
    )
    expired.update(status=Notification.Status.PENDING)


class _Connection:
    """One mail connection for the whole batch, opened on first use and opened again after an error."""

    def __init__(self):
        self.backend = None
        self.sms_provider = None

    def sms(self):
        if self.sms_provider is None:
            self.sms_provider = sms_provider()
        return self.sms_provider

    def get(self):
        if self.backend is None:
            self.backend = get_connection(fail_silently=False)
            self.backend.open()
        return self.backend

    def close(self):
        if self.backend is not None:
            backend, self.backend = self.backend, None
            with contextlib.suppress(smtplib.SMTPException, OSError):  # the connection is gone either way
                backend.close()


def notifications_dispatch(*, limit: int = 200, now=None) -> dict[str, int]:
    """Send what is due. Each row is claimed with a conditional UPDATE, so two workers never send it twice."""
    now = now or timezone.now()
    _release_expired_claims()
    due = Notification.objects.filter(status=Notification.Status.PENDING, due_at__lte=now).order_by("due_at", "pk")
    counts = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    connection = _Connection()
    try:
        for pk in list(due.values_list("pk", flat=True)[:limit]):
            claimed_at = _claim(pk)
            if claimed_at is None:
                counts["skipped"] += 1
                continue
            mine = Notification.objects.filter(pk=pk, status=Notification.Status.SENDING, claimed_at=claimed_at)
            notification = Notification.objects.select_related("user").get(pk=pk)
            if held := _held_back(notification, now):
                mine.update(**held, attempts=F("attempts") - 1)
                counts["skipped"] += 1
                continue
            try:
                subject = _deliver(notification, connection)
            except (smtplib.SMTPException, OSError, SmsError) as exc:
                if not isinstance(exc, SmsError):
                    connection.close()  # the mail connection is in doubt; a text's failure leaves it alone
                error = f"{type(exc).__name__}: {exc}"[:2000]
                if notification.attempts >= MAX_ATTEMPTS or not getattr(exc, "retry", True):
                    fields = {"status": Notification.Status.FAILED, "last_error": error}
                    counts["failed"] += 1
                    log.error("notification %s failed for good: %s", pk, error)
                else:
                    backoff = timedelta(minutes=2**notification.attempts)
                    fields = {"status": Notification.Status.PENDING, "last_error": error, "due_at": now + backoff}
                    counts["retry"] += 1
                mine.update(**fields)
            else:
                # Marked at once, on the same connection's heels: the smaller the gap, the rarer a repeat.
                if not mine.update(
                    status=Notification.Status.SENT, sent_at=timezone.now(), subject=subject[:300], last_error="",
                    provider_id=notification.provider_id,
                ):  # fmt: skip
                    log.warning("notification %s was sent after its claim had expired", pk)
                counts["sent"] += 1
    finally:
        connection.close()
    return counts


def _held_back(notification: Notification, now: datetime) -> dict | None:
    """A text that must not go now: to a number that replied STOP (never), or in quiet hours (later)."""
    if notification.channel != Notification.Channel.SMS:
        return None
    if opted_out([notification.phone]) and not notification.context.get("after_stop"):
        return {"status": Notification.Status.CANCELLED, "last_error": "The number replied STOP."}
    if quiet := notification.context.get("quiet_hours"):
        start, end = (time.fromisoformat(t) for t in quiet)
        if window := quiet_window(now, start=start, end=end):
            return {"status": Notification.Status.PENDING, "due_at": window[1]}
    return None


@transaction.atomic
def notification_resend(*, notification: Notification) -> None:
    """An admin puts a failed notification back in the queue."""
    Notification.objects.filter(pk=notification.pk, status=Notification.Status.FAILED).update(
        status=Notification.Status.PENDING, attempts=0, due_at=timezone.now(), last_error=""
    )


def notifications_mark_read(*, user, now=None) -> None:
    Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now or timezone.now())
