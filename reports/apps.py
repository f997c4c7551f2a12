from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Dashboard and reports"

    def ready(self):
        from django.db.backends.signals import connection_created

        from vom.core.read_models import ReadModel, register

        from . import cohort
        from .aggregates import register_sqlite_median

        connection_created.connect(register_sqlite_median, dispatch_uid="reports.sqlite_median")
        register(
            ReadModel(
                name="cohort day figures",
                description="CohortDayFigures: the report's additive figures of the cases referred on one day",
                keys=cohort.cohort_day_keys,
                differences=cohort.cohort_day_differences,
                rebuild=cohort.cohort_day_rebuild,
            )
        )
