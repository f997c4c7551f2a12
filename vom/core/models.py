from django.conf import settings
from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker ran the beat-scheduled heartbeat task.

    Lets /healthz and admins see that background work (reminders, dispatch) is really running.
    """

    hostname = models.CharField(max_length=200, unique=True)
    last_seen = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.hostname} at {self.last_seen:%Y-%m-%d %H:%M:%S}"


class FormSubmission(models.Model):
    """One sending of a form that must be saved once (a payment, a referral, a note): its one-time token.

    The page carries a fresh token; the first submission claims it in the same transaction as what it
    saves, so a double click, a reload or a replay of the same form finds it claimed and saves nothing
    again (vom/core/once.py). Rows older than a week are removed by ``purge_form_submissions``.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.UUIDField()
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    location = models.CharField(max_length=500, blank=True, help_text="Where the first submission led.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "token"], name="core_formsubmission_once")]

    def __str__(self) -> str:
        return f"Form {self.token} sent by user {self.user_id} at {self.at:%Y-%m-%d %H:%M}"
