from celery import shared_task
from django.db import OperationalError

from .services import form_submissions_purge, heartbeat_record


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def record_heartbeat(self) -> None:
    heartbeat_record(hostname=self.request.hostname or "eager")


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def purge_form_submissions() -> int:
    return form_submissions_purge()
