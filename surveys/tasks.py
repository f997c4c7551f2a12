from celery import shared_task
from django.db import OperationalError

from .services import survey_invitations_plan


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def plan_survey_invitations_task() -> int:
    return survey_invitations_plan()
