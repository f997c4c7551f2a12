from celery import shared_task
from django.db import OperationalError

from .reminders import plan_follow_up_reminders


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def plan_follow_up_reminders_task() -> int:
    return plan_follow_up_reminders()
