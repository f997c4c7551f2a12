"""The reports' read models (``reports.daily``): the figures of the cases referred to a program on one day, and
of the reoffending checks due on one day, so that a period's report reads one stored row a day instead of every
case, term, payment and check of the period.

``CohortDay.revision`` is raised by database triggers (PostgreSQL, migration 0002) in the transaction of
every insert, update or delete of a row the figures are computed from: the case's program, referral date,
juvenile flag, stage, outcome, source and offense; its agreements' status and number; their terms; the
terms' payments, disbursements and service logs. A stored ``CohortDayFigures`` row counts only at the
revision it was computed at; a stale or missing day is recomputed by the next read (``reports.cohort``).
``DueDay.revision`` likewise (migration 0003), for every write to a check and every update of the case columns
that decide a check's group (program, juvenile flag, stage, the stage it closed from, outcome),
``TimingDay.revision`` (migration 0004) for the cases' referral and closure and their joint sessions, and
``OffenderDay.revision`` (migration 0005) for the cases' offenders, their checks and returns, and the referrals of
the same people. Each pair is a ``RevisedDay`` and a ``FiguresAtRevision``, which say only what differs: the names,
the figures' format.
"""

from django.db import models

from cases.models import Program


class RevisedDay(models.Model):
    """How many times the sources of a program's day have changed (never read for a figure: a stored row of the
    figures is current only at the same revision). Written by triggers only; a day no write has touched since the
    triggers exist has no row and is at revision 0. ``subject`` names the day for ``str()``."""

    subject = ""  # e.g. "Cases referred to program {program} on {day}"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    revision = models.PositiveBigIntegerField(default=0)

    class Meta:
        abstract = True
        constraints = [models.UniqueConstraint(fields=["program", "day"], name="%(app_label)s_%(class)s_unique")]

    def __str__(self) -> str:
        return f"{self.subject.format(program=self.program_id, day=self.day)}: revision {self.revision}"


def computed_at(revisions: type[RevisedDay]) -> models.PositiveBigIntegerField:
    """The ``revision`` of a ``FiguresAtRevision``: the revision of its day (in ``revisions``) it was computed at."""
    return models.PositiveBigIntegerField(help_text=f"The day's revision ({revisions.__name__}) this was computed at.")


class FiguresAtRevision(models.Model):
    """A program's day's figures as computed at the day's revision (a cache, never a source; ``reports.daily``).
    Each subclass declares ``revision = computed_at(<its RevisedDay>)`` and ``figures``, JSON as text (PostgreSQL
    prints a year of jsonb rows back as text more slowly than the report reads them)."""

    subject = ""  # e.g. "Figures of the cases referred to program {program} on {day}"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        abstract = True
        constraints = [models.UniqueConstraint(fields=["program", "day"], name="%(app_label)s_%(class)s_unique")]

    def __str__(self) -> str:
        return f"{self.subject.format(program=self.program_id, day=self.day)} at revision {self.revision}"


class CohortDay(RevisedDay):
    """How many times the records of the cases referred to ``program`` on ``day`` have changed."""

    subject = "Cases referred to program {program} on {day}"


class CohortDayFigures(FiguresAtRevision):
    """The report's additive figures for the cases referred to ``program`` on ``day``, juveniles and adults
    apart: counts of how far they got, by source and offense, and restitution."""

    subject = "Figures of the cases referred to program {program} on {day}"

    revision = computed_at(CohortDay)
    figures = models.TextField(help_text='JSON: {"juvenile": […], "adult": […]} (reports.cohort.FIELDS), or {}.')

    class Meta(FiguresAtRevision.Meta):
        verbose_name_plural = "cohort day figures"


class DueDay(RevisedDay):
    """How many times the reoffending checks of ``program`` due on ``day`` (or the case columns that decide their
    group: mediated, juvenile) have changed (migration 0003)."""

    subject = "Reoffending checks of program {program} due on {day}"


class DueDayFigures(FiguresAtRevision):
    """The reoffending checks of ``program`` due on ``day``: how many, how many recorded and how many found a new
    offense, by window, mediated and juvenile (``reports.checks``)."""

    subject = "Checks of program {program} due on {day}"

    revision = computed_at(DueDay)
    figures = models.TextField(help_text="JSON: [[months, mediated, juvenile, due, recorded, reoffended], …], or {}.")

    class Meta(FiguresAtRevision.Meta):
        verbose_name_plural = "due day figures"


class TimingDay(RevisedDay):
    """How many times the cases referred to ``program`` on ``day`` have changed in what their times taken are
    computed from: referral and closure, juvenile flag, their joint sessions (migration 0004)."""

    subject = "Times of the cases referred to program {program} on {day}"


class TimingDayFigures(FiguresAtRevision):
    """The days each case referred to ``program`` on ``day`` took to its first joint session and to closure,
    juveniles and adults apart (``reports.timing``): medians do not add up across days, but the values do, and a
    period's median is taken from them."""

    subject = "Times of the cases referred to program {program} on {day}"

    revision = computed_at(TimingDay)
    figures = models.TextField(help_text='JSON: {"juvenile": [[to session…], [to closure…]], "adult": …}, or {}.')

    class Meta(FiguresAtRevision.Meta):
        verbose_name_plural = "timing day figures"


class OffenderDay(RevisedDay):
    """How many times the offenders of the cases referred to ``program`` on ``day`` have changed in what their
    figures are computed from: the offender parties and their people, their checks and returns, the case columns
    that decide juvenile, mediated and outcome, and the referrals of the same people's other cases (migration
    0005)."""

    subject = "Offenders of the cases referred to program {program} on {day}"


class OffenderDayFigures(FiguresAtRevision):
    """The offenders of the cases referred to ``program`` on ``day`` (``reports.offenders``): whose follow-up
    ended, and the people's reoffending checks keyed by each one's previous referral to the program, so that a
    period counts each person once."""

    subject = "Offenders referred to program {program} on {day}"

    revision = computed_at(OffenderDay)
    figures = models.TextField(help_text='JSON: {"ended": …, "people": […], "results": […], "windows": […]}, or {}.')

    class Meta(FiguresAtRevision.Meta):
        verbose_name_plural = "offender day figures"


class SurveyDay(RevisedDay):
    """How many times the survey responses to ``program``'s cases submitted on ``day`` (or their cases' program)
    have changed (migration 0006). The triggers raise the day before and after too: a day is the current time
    zone's (``reports.satisfaction``), which is within a day of the UTC date a trigger sees."""

    subject = "Survey responses of program {program} submitted on {day}"


class SurveyDayFigures(FiguresAtRevision):
    """The survey responses to ``program``'s cases submitted on ``day``, per respondent role: how many, and each
    question's sum and count of answers (``reports.satisfaction``)."""

    subject = "Survey answers of program {program} submitted on {day}"

    revision = computed_at(SurveyDay)
    figures = models.TextField(help_text='JSON: {"<role>": [responses, fair sum, fair count, …]}, or {}.')

    class Meta(FiguresAtRevision.Meta):
        verbose_name_plural = "survey day figures"
