from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from .models import FormSubmission, WorkerHeartbeat

FORM_TOKENS_KEPT = timedelta(days=7)  # longer than any page stays open and sent again


def heartbeat_record(*, hostname: str) -> WorkerHeartbeat:
    """Note that ``hostname`` is alive; safe to run twice or concurrently."""
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(hostname=hostname).update(last_seen=now, beats=F("beats") + 1)
    if not updated:
        WorkerHeartbeat.objects.get_or_create(hostname=hostname, defaults={"last_seen": now, "beats": 1})
    return WorkerHeartbeat.objects.get(hostname=hostname)


def form_submissions_purge() -> int:
    """Forget one-time form tokens older than FORM_TOKENS_KEPT; returns how many."""
    deleted, _ = FormSubmission.objects.filter(at__lt=timezone.now() - FORM_TOKENS_KEPT).delete()
    return deleted
