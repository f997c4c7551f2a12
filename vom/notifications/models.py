"""The notification outbox: every email and in-app notice is a row first, sent later by the worker.

Rows are written in the same transaction as the change that causes them, so nothing is lost when
Redis or the mail server is down; a unique dedupe key makes a second planning run (a retry, two
overlapping beats) insert nothing, so the same reminder is never sent twice.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    """One message to one recipient: a user (in the app and by email) or a party's email address."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"
        IN_APP = "in_app", "In the app only"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    dedupe_key = models.CharField(max_length=200, unique=True)
    template = models.CharField(max_length=100)
    context = models.JSONField(default=dict)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    email = models.EmailField(blank=True, help_text="For parties, who have no account.")
    phone = models.CharField(max_length=20, blank=True, help_text="A text's number, in E.164 (+15551230000).")
    provider_id = models.CharField(max_length=64, blank=True, help_text="The text's id at the SMS provider.")
    name = models.CharField(max_length=200, blank=True)
    case_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    subject = models.CharField(max_length=300, blank=True)
    language = models.CharField(
        max_length=10, default="en", db_default="en", help_text="The language the message is written in."
    )
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-due_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["user", "-due_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(email="") | ~Q(phone=""), name="notifications_has_recipient"
            ),
        ]

    def __str__(self) -> str:
        # Never the party's address: this shows in the admin and in logs.
        return f"{self.template} to {self.user or self.name or 'a party'} ({self.get_status_display()})"

    @property
    def recipient_email(self) -> str:
        return self.user.email if self.user_id else self.email


class TextOptOut(models.Model):
    """A phone number that replied STOP: no text goes to it again, in any case, until it replies START."""

    number = models.CharField(max_length=20, unique=True, help_text="E.164")
    keyword = models.CharField(max_length=20)
    at = models.DateTimeField()

    class Meta:
        verbose_name = "text opt-out"

    def __str__(self) -> str:
        return f"Opted out with {self.keyword} on {self.at:%Y-%m-%d}"  # never the number: shown in the admin


class PlanningSweep(models.Model):
    """Where a reminder planner's last finished sweep started: the next one reads only what fell due since.

    A planner finds what became due between this moment (less ``planning.OVERLAP``) and now, and what changed
    in the cases meanwhile, instead of every open case and agreement on every beat; the outbox's dedupe keys
    make the overlap harmless. ``params`` holds the settings the sweep was planned with (each program's days,
    its coordinators): when they differ, or the clock is behind this moment, the next sweep reads everything.
    """

    name = models.CharField(max_length=50, unique=True)
    started_at = models.DateTimeField()
    params = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.name} planned up to {self.started_at:%Y-%m-%d %H:%M}"
