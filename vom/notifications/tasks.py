from celery import shared_task
from django.db import OperationalError

from .services import notifications_dispatch


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def dispatch_notifications() -> dict:
    """Beat runs this every minute; running it twice at once is safe (rows are claimed one by one)."""
    return notifications_dispatch()
