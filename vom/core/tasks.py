from celery import shared_task
from django.db import OperationalError

from .services import heartbeat_record


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def record_heartbeat(self) -> None:
    heartbeat_record(hostname=self.request.hostname or "eager")
