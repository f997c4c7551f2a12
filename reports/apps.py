from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Dashboard and reports"

    def ready(self):
        from django.db.backends.signals import connection_created

        from vom.core.read_models import register

        from . import checks, cohort, offenders, satisfaction, timing
        from .aggregates import register_sqlite_median

        connection_created.connect(register_sqlite_median, dispatch_uid="reports.sqlite_median")
        register(cohort.READ_MODEL)
        register(checks.READ_MODEL)
        register(timing.READ_MODEL)
        register(offenders.READ_MODEL)
        register(satisfaction.READ_MODEL)
