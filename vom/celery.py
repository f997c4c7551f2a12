"""The Celery application: configured from Django settings (CELERY_* names), tasks autodiscovered."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vom.settings")

app = Celery("vom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
