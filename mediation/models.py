"""Mediators, readiness screening, preparation meetings, the joint session and indirect mediation."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Party
from vom.core.i18n import PARTY_LANGUAGES


class MediatorProfile(models.Model):
    """What a coordinator needs to know to assign a mediator."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mediator_profile")
    training_completed_on = models.DateField(null=True, blank=True)
    languages = models.CharField(max_length=200, default="English", help_text="Comma-separated, e.g. English, Spanish.")
    max_active_cases = models.PositiveSmallIntegerField(default=8, validators=[MaxValueValidator(100)])
    availability = models.CharField(max_length=300, blank=True, help_text="e.g. Weekday evenings, Saturday mornings.")
    accepting_cases = models.BooleanField(default=True)
    conflicts = models.TextField(
        blank=True,
        help_text="Names or addresses of people this mediator must not mediate for (neighbours, relatives, "
        "clients), one per line.",
    )

    class Meta:
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    @property
    def language_list(self) -> list[str]:
        return [part.strip() for part in self.languages.split(",") if part.strip()]

    @property
    def conflict_lines(self) -> list[str]:
        return [line.strip().lower() for line in self.conflicts.splitlines() if line.strip()]


class ContactAttempt(models.Model):
    """One try to reach a party: when, how, and what came of it."""

    class Method(models.TextChoices):
        PHONE = "phone", "Phone call"
        TEXT = "text", "Text message"
        EMAIL = "email", "Email"
        LETTER = "letter", "Letter"
        IN_PERSON = "in_person", "In person"
        VIDEO = "video", "Video call"

    class Result(models.TextChoices):
        REACHED = "reached", "Reached"
        NO_ANSWER = "no_answer", "No answer"
        LEFT_MESSAGE = "left_message", "Left a message"
        WRONG_NUMBER = "wrong_details", "Wrong number or address"
        CALL_BACK = "call_back", "Asked to be called back"
        REFUSED = "refused", "Refused to talk"

    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="contact_attempts")
    at = models.DateTimeField()
    method = models.CharField(max_length=20, choices=Method.choices)
    result = models.CharField(max_length=20, choices=Result.choices)
    note = models.TextField(blank=True, max_length=2000)
    regarding = models.CharField(
        max_length=300, blank=True, db_default="", help_text="During follow-up: the missed item the contact was about."
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} to {self.party.person}: {self.get_result_display()}"


class Screening(models.Model):
    """A readiness screening of one party. The latest one counts; earlier ones stay as history."""

    class Outcome(models.TextChoices):
        SUITABLE = "suitable", "Suitable"
        NOT_SUITABLE = "not_suitable", "Not suitable"
        DECLINED = "declined", "Declined"
        UNREACHABLE = "unreachable", "Could not be reached"

    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="screenings")
    screened_on = models.DateField()
    screened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Victim side
    willing_to_meet = models.BooleanField("Willing to meet face to face", default=False)
    willing_indirect = models.BooleanField("Willing to take part indirectly (messages, letters)", default=False)
    safety_concerns = models.TextField(blank=True, max_length=4000)
    safety_plan = models.TextField("How safety concerns are managed", blank=True, max_length=4000)
    # Offender side
    acknowledges_responsibility = models.BooleanField(default=False)
    willing_to_make_amends = models.BooleanField(default=False)
    # Parent or guardian of a juvenile offender
    guardian_consents = models.BooleanField("Agrees to the young person taking part", default=False)
    # Everyone
    emotionally_ready = models.BooleanField(default=False)
    understands_voluntary = models.BooleanField("Understands that taking part is voluntary", default=False)
    consent_given_on = models.DateField("Consent given on", null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reason = models.TextField(blank=True, max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-screened_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.party.person}: {self.get_outcome_display()} on {self.screened_on}"


class Meeting(models.Model):
    """A preparation meeting with one side, or the joint session."""

    class Kind(models.TextChoices):
        # Translated: parties are reminded of meetings in their language.
        PREP_OFFENDER = "prep_offender", _("Preparation meeting, offender side")
        PREP_VICTIM = "prep_victim", _("Preparation meeting, victim side")
        JOINT = "joint", _("Joint session")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"
        WAIVED = "waived", "Waived"

    class Outcome(models.TextChoices):
        AGREEMENT = "agreement", "Agreement reached"
        NO_AGREEMENT = "no_agreement", "No agreement"
        CONTINUED = "continued", "Continued to a new date"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(10), MaxValueValidator(8 * 60)]
    )
    location = models.CharField(max_length=300, blank=True)
    video_link = models.URLField(blank=True, max_length=500)
    attendees = models.ManyToManyField(Party, blank=True, related_name="meetings")
    mediators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="meetings_facilitated")
    interpreter = models.CharField(
        max_length=200, blank=True, help_text="The interpreter booked for this meeting: name or agency."
    )
    interpreter_language = models.CharField(max_length=10, choices=PARTY_LANGUAGES, blank=True)
    hopes = models.TextField("What this side hopes to achieve", blank=True, max_length=4000)
    restitution_ideas = models.TextField("Restitution this side would consider", blank=True, max_length=4000)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    summary = models.TextField(blank=True, max_length=10_000)
    reason = models.TextField(blank=True, max_length=2000, help_text="Why it was cancelled, missed or waived.")
    cancelled_for_good = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scheduled_for", "pk"]
        indexes = [
            models.Index(fields=["case", "kind", "status"]),
            models.Index(fields=["status", "scheduled_for"]),
            # A case's first held joint session in one index probe (the outcome report's time to session).
            models.Index(
                fields=["case", "scheduled_for"],
                condition=Q(kind="joint", status="held"),
                name="mediation_meeting_joint_held",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="waived") | Q(scheduled_for__isnull=False),
                name="mediation_meeting_time_unless_waived",
            ),
            models.CheckConstraint(
                condition=Q(kind="joint") | Q(outcome=""), name="mediation_meeting_outcome_only_joint"
            ),
        ]

    def __str__(self) -> str:
        when = f" {self.scheduled_for:%Y-%m-%d %H:%M}" if self.scheduled_for else ""
        return f"{self.get_kind_display()}{when} ({self.get_status_display()})"

    @property
    def is_prep(self) -> bool:
        return self.kind != self.Kind.JOINT


class ShuttleRound(models.Model):
    """One exchange carried by the mediator in indirect mediation. The last round may conclude it."""

    class Direction(models.TextChoices):
        VICTIM_TO_OFFENDER = "v2o", "From the victim side to the offender side"
        OFFENDER_TO_VICTIM = "o2v", "From the offender side to the victim side"

    class Form(models.TextChoices):
        MESSAGE = "message", "Spoken message"
        LETTER = "letter", "Letter"
        IMPACT_STATEMENT = "impact", "Impact statement"
        APOLOGY = "apology", "Apology"
        OFFER = "offer", "Restitution offer"
        RESPONSE = "response", "Response to an offer"

    class Concludes(models.TextChoices):
        AGREEMENT = "agreement", "Agreement reached"
        NO_AGREEMENT = "no_agreement", "No agreement"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="shuttle_rounds")
    held_on = models.DateField()
    direction = models.CharField(max_length=3, choices=Direction.choices)
    form = models.CharField(max_length=20, choices=Form.choices)
    summary = models.TextField(max_length=10_000)
    concludes = models.CharField(max_length=20, choices=Concludes.choices, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.case} {self.held_on}: {self.get_form_display()} ({self.get_direction_display()})"


class TimeLog(models.Model):
    """Time a mediator spent on a case."""

    class Activity(models.TextChoices):
        CONTACT = "contact", "Contacting parties"
        SCREENING = "screening", "Screening"
        PREPARATION = "preparation", "Preparation meeting"
        SESSION = "session", "Joint session"
        SHUTTLE = "shuttle", "Indirect mediation"
        WRITING = "writing", "Writing up"
        TRAVEL = "travel", "Travel"
        FOLLOW_UP = "follow_up", "Follow-up"
        OTHER = "other", "Other"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="time_logs")
    mediator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_logs")
    on = models.DateField()
    minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(24 * 60)])
    activity = models.CharField(max_length=20, choices=Activity.choices)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=1440), name="mediation_timelog_minutes_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mediator} {self.minutes} min on {self.case} ({self.on})"
