from celery import shared_task
from django.db import OperationalError

from .reminders import plan_case_reminders
from .retention import anonymise_expired


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def plan_case_reminders_task() -> int:
    return plan_case_reminders()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def anonymise_expired_cases_task() -> int:
    return len(anonymise_expired())
