"""The reports' read models (``reports.daily``): the figures of the cases referred to a program on one day, and
of the reoffending checks due on one day, so that a period's report reads one stored row a day instead of every
case, term, payment and check of the period.

``CohortDay.revision`` is raised by database triggers (PostgreSQL, migration 0002) in the transaction of
every insert, update or delete of a row the figures are computed from: the case's program, referral date,
juvenile flag, stage, outcome, source and offense; its agreements' status and number; their terms; the
terms' payments, disbursements and service logs. A stored ``CohortDayFigures`` row counts only at the
revision it was computed at; a stale or missing day is recomputed by the next read (``reports.cohort``).
``DueDay.revision`` likewise (migration 0003), for every write to a check and every update of the case columns
that decide a check's group (program, juvenile flag, stage, the stage it closed from, outcome).
"""

from django.db import models

from cases.models import Program


class CohortDay(models.Model):
    """How many times the records of the cases referred to ``program`` on ``day`` have changed (never read
    for a figure: a row of ``CohortDayFigures`` is current only at the same revision). Written by triggers only;
    a day no write has touched since the triggers exist has no row and is at revision 0."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    revision = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "day"], name="reports_cohortday_unique")]

    def __str__(self) -> str:
        return f"Cases referred to program {self.program_id} on {self.day}: revision {self.revision}"


class CohortDayFigures(models.Model):
    """The report's additive figures for the cases referred to ``program`` on ``day``, juveniles and adults
    apart (a cache, never a source): counts of how far they got, by source and offense, and restitution."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    revision = models.PositiveBigIntegerField(help_text="The day's revision (CohortDay) this was computed at.")
    # JSON as text: PostgreSQL prints a year of jsonb rows back as text more slowly than the report reads them.
    figures = models.TextField(help_text='JSON: {"juvenile": […], "adult": […]} (reports.cohort.FIELDS), or {}.')

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "day"], name="reports_cohortdayfigures_unique")]
        verbose_name_plural = "cohort day figures"

    def __str__(self) -> str:
        return f"Figures of the cases referred to program {self.program_id} on {self.day} at revision {self.revision}"


class DueDay(models.Model):
    """How many times the reoffending checks of ``program`` due on ``day`` (or the case columns that decide their
    group: mediated, juvenile) have changed. Written by triggers only (migration 0003); a day no write has touched
    since the triggers exist has no row and is at revision 0."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    revision = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "day"], name="reports_dueday_unique")]

    def __str__(self) -> str:
        return f"Reoffending checks of program {self.program_id} due on {self.day}: revision {self.revision}"


class DueDayFigures(models.Model):
    """The reoffending checks of ``program`` due on ``day``: how many, how many recorded and how many found a new
    offense, by window, mediated and juvenile (a cache, never a source; ``reports.checks``)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    revision = models.PositiveBigIntegerField(help_text="The day's revision (DueDay) this was computed at.")
    figures = models.TextField(help_text="JSON: [[months, mediated, juvenile, due, recorded, reoffended], …], or {}.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "day"], name="reports_duedayfigures_unique")]
        verbose_name_plural = "due day figures"

    def __str__(self) -> str:
        return f"Checks of program {self.program_id} due on {self.day} at revision {self.revision}"


class TimingDay(models.Model):
    """How many times the cases referred to ``program`` on ``day`` have changed in what their times taken are
    computed from: referral and closure, juvenile flag, their joint sessions. Written by triggers only (migration
    0004); a day no write has touched since the triggers exist has no row and is at revision 0."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    revision = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "day"], name="reports_timingday_unique")]

    def __str__(self) -> str:
        return f"Times of the cases referred to program {self.program_id} on {self.day}: revision {self.revision}"


class TimingDayFigures(models.Model):
    """The days each case referred to ``program`` on ``day`` took to its first joint session and to closure,
    juveniles and adults apart (a cache, never a source; ``reports.timing``): medians do not add up across days,
    but the values do, and a period's median is taken from them."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    revision = models.PositiveBigIntegerField(help_text="The day's revision (TimingDay) this was computed at.")
    figures = models.TextField(help_text='JSON: {"juvenile": [[to session…], [to closure…]], "adult": …}, or {}.')

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "day"], name="reports_timingdayfigures_unique")]
        verbose_name_plural = "timing day figures"

    def __str__(self) -> str:
        return f"Times of the cases referred to program {self.program_id} on {self.day} at revision {self.revision}"
