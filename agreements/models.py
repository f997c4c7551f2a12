"""Written restitution agreements: versions, terms, installment schedules and signatures.

A version is drafted, sent for signatures, and locked when the last required signature is in: its PDF
is rendered once, stored with its SHA-256 and never rendered again. Any later change is a new version
(an amendment) that needs new signatures; the old one is kept as superseded.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Party
from vom.core.i18n import PARTY_LANGUAGES


class Agreement(models.Model):
    """One version of a case's written agreement."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        AWAITING = "awaiting", "Awaiting signatures"
        SIGNED = "signed", "Signed"
        SUPERSEDED = "superseded", "Superseded"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="agreements")
    number = models.PositiveSmallIntegerField(help_text="1 for the original, 2 for the first amendment, …")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    languages = models.JSONField(
        default=list,
        help_text="The languages the document is written in, as codes, the first one first: each party reads "
        "their own where the program offers it; two languages make one bilingual document.",
    )
    amends = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="amendments")
    amendment_reason = models.TextField(blank=True, max_length=2000)
    amendment_reason_translations = models.JSONField(
        default=dict, blank=True, help_text="The reason in each of the document's other languages, by code."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock for edits of the draft.")
    signed_at = models.DateTimeField(null=True, blank=True)
    verification_code = models.CharField(max_length=32, blank=True, db_index=True)
    pdf = models.FileField(upload_to="agreements/%Y/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    weasyprint_version = models.CharField(max_length=20, blank=True)
    terms_shared_consent_on = models.DateField(
        null=True,
        blank=True,
        help_text="The day every party's written consent to share the terms with the referral source was recorded.",
    )
    follow_up_revision = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Raised in the same transaction as any change to a record compliance is computed from: "
        "a stored follow-up summary counts only while it was computed at the current revision.",
    )

    class Meta:
        ordering = ["case", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="agreements_agreement_unique_number"),
            models.UniqueConstraint(
                fields=["case"], condition=Q(status__in=["draft", "awaiting"]), name="agreements_one_open_version"
            ),
            models.CheckConstraint(
                condition=~Q(status="signed") | ~Q(verification_code=""), name="agreements_signed_has_code"
            ),
        ]
        indexes = [
            # The signed versions of a set of cases (a program's followed cases, a report's cohort), read
            # from the index alone: a program's 2,000 followed agreements among 50,000 signed ones were
            # found by reading the whole table (the Follow-up list, the dashboard, the report's restitution).
            models.Index(
                fields=["case", "id", "follow_up_revision"],
                condition=Q(status="signed"),
                name="agreements_signed_by_case",
            ),
            # Every signed version (current or superseded) of a report's cohort, case by case from the index
            # alone: the restitution figures of a quarter read all 50,000 agreements without it.
            models.Index(
                fields=["case"],
                include=["id", "number", "status"],
                condition=Q(status__in=["signed", "superseded"]),
                name="agreements_versions_by_case",
            ),
        ]

    def __str__(self) -> str:
        return f"Agreement {self.case.number} v{self.number} ({self.get_status_display()})"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class Term(models.Model):
    """One thing the offender (or one of them) undertakes to do."""

    class Kind(models.TextChoices):
        MONEY = "money", _("Money to the victim")
        SERVICE_TO_VICTIM = "service", _("Service to the victim")
        COMMUNITY_SERVICE = "community", _("Community service hours")
        APOLOGY = "apology", _("Apology letter")
        BEHAVIOUR = "behaviour", _("Behavioural commitment")
        OTHER = "other", _("Other")

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        FORTNIGHTLY = "fortnightly", _("Every two weeks")
        MONTHLY = "monthly", _("Monthly")

    class Schedule(models.TextChoices):
        EQUAL = "equal", _("Equal installments")
        FIXED = "fixed", _("A fixed amount each period until paid")
        CUSTOM = "custom", _("Dated amounts, row by row")

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="terms")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    responsible = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="terms")
    description = models.TextField(max_length=2000)
    translations = models.JSONField(
        default=dict,
        blank=True,
        help_text="The description in each of the agreement's languages other than English, by code, as the "
        "mediator wrote it: the document prints each language's own text.",
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    installment_count = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    frequency = models.CharField(max_length=20, choices=Frequency.choices, blank=True)
    first_due_date = models.DateField(null=True, blank=True)
    schedule = models.CharField(max_length=10, choices=Schedule.choices, default=Schedule.EQUAL, db_default="equal")
    period_amount = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="For a fixed amount each period."
    )
    hours = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    due_date = models.DateField(help_text="When the whole term must be fulfilled.")
    continues = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="continued_by",
        help_text="The term of the previous version this one carries on (an amendment), so the ledger follows "
        "one obligation across versions.",
    )
    carried_base = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=0,
        db_default=0,
        help_text="What the continued term had received (money) or logged (hours) when this one was written.",
    )
    carried_in = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=0,
        db_default=0,
        help_text="Received (money) or logged (hours) on the continued term after this one was written: counted "
        "toward this one when its version was signed.",
    )

    class Meta:
        ordering = ["agreement", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="money") | Q(amount__gt=0, installment_count__gte=1),
                name="agreements_money_term_amount",
            ),
            models.CheckConstraint(
                condition=~Q(kind="community") | Q(hours__gt=0), name="agreements_community_term_hours"
            ),
            models.CheckConstraint(
                condition=~Q(schedule="fixed") | ~Q(kind="money") | Q(period_amount__gt=0),
                name="agreements_fixed_schedule_amount",
            ),
        ]
        # The follow-up planner reads the deadlines that came due since its last sweep (agreements.reminders).
        indexes = [models.Index(fields=["due_date"], name="agreements_term_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description[:60]}"

    @property
    def counts_hours(self) -> bool:
        return counts_hours(self)


# Terms whose fulfilment is counted in verified hours.
HOURS_TERMS = {Term.Kind.COMMUNITY_SERVICE, Term.Kind.SERVICE_TO_VICTIM}


def counts_hours(term) -> bool:
    """Whether a term (or anything with its ``kind`` and ``hours``) is fulfilled by verified hours."""
    return term.kind in HOURS_TERMS and bool(term.hours)


class FollowUpSummary(models.Model):
    """What a followed agreement's compliance is computed from, reduced to three facts (a cache, never a source).

    An agreement's status on any day follows from whether every term is fulfilled and the earliest date an
    unfulfilled term is due (``compliance.status_on``), so nothing here goes stale with the calendar; it goes
    stale only when a record changes, which raises ``source_revision`` (and ``Agreement.follow_up_revision``)
    in the same transaction. The Follow-up list counts, sorts and pages thousands of agreements on this table
    alone: it also holds whether the agreement is on the list and who sees it, kept by every write that changes
    them (``follow_up.follow_up_placement``).
    """

    agreement = models.OneToOneField(
        Agreement, on_delete=models.CASCADE, primary_key=True, related_name="follow_up_summary"
    )
    revision = models.PositiveIntegerField(help_text="The ``source_revision`` the figures were computed at.")
    source_revision = models.PositiveIntegerField(
        default=1,
        help_text="Raised with the agreement's follow-up revision by every change to a record the figures are "
        "computed from: the figures count only while ``revision`` has caught up with it.",
    )
    fulfilled = models.BooleanField()
    next_due = models.DateField(null=True, blank=True, help_text="Earliest due date of an unfulfilled term.")
    outstanding = models.DecimalField(max_digits=12, decimal_places=2, help_text="Money still owed, all terms.")
    # Who sees the row on the Follow-up list and whether it is on it, copied from the agreement and its case
    # by ``follow_up.follow_up_placement`` in the transaction of every write that changes them (signing,
    # superseding, the case's moves, its mediators), so that the list counts and pages on this table alone.
    # No constraints: the case's own keys are the constraints, and a copy is recomputed, never trusted alone.
    followed = models.BooleanField(default=False, help_text="Signed, current, and its case in follow-up.")
    program = models.ForeignKey(
        "cases.Program", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    lead_mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    co_mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
        null=True, blank=True, related_name="+",
    )  # fmt: skip

    class Meta:
        indexes = [
            # The Follow-up list of a program, worst first (``follow_up.WORST_FIRST``: PostgreSQL's ascending
            # order puts the agreements with no open due date last): its count and page are scans of this index.
            models.Index(
                fields=["program", "fulfilled", "next_due", "agreement"],
                condition=Q(followed=True),
                name="agreements_summary_followed",
            ),
            # A mediator's Follow-up list (their cases, as lead or co-mediator).
            models.Index(fields=["lead_mediator"], condition=Q(followed=True), name="agreements_summary_lead"),
            models.Index(fields=["co_mediator"], condition=Q(followed=True), name="agreements_summary_co"),
            # The followed summaries to compute before the list is read: few, after the changes since the last read.
            models.Index(
                fields=["program"],
                condition=Q(followed=True, revision__lt=F("source_revision")),
                name="agreements_summary_stale",
            ),
        ]

    def __str__(self) -> str:
        return f"Follow-up summary of agreement {self.agreement_id} at revision {self.revision}"


class Installment(models.Model):
    """One payment of a money term; a term's installments add up to its amount exactly."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="installments")
    number = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["term", "number"]
        constraints = [
            models.UniqueConstraint(fields=["term", "number"], name="agreements_installment_unique_number"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="agreements_installment_positive"),
        ]
        indexes = [models.Index(fields=["due_date"], name="agreements_installment_due")]

    def __str__(self) -> str:
        return f"#{self.number} {self.amount} due {self.due_date}"


class Signature(models.Model):
    """A required signer's signature on one version: drawn, typed with consent, or a scanned wet copy."""

    class Method(models.TextChoices):
        DRAWN = "drawn", _("Drawn on screen")
        TYPED = "typed", _("Typed name with consent")
        SCANNED = "scanned", _("Scan of a wet-signed copy")

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="signatures")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, null=True, blank=True, related_name="signatures")
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="agreement_signatures"
    )
    role = models.CharField(max_length=200)
    signer_name = models.CharField(max_length=200)
    method = models.CharField(max_length=10, choices=Method.choices)
    typed_name = models.CharField(max_length=200, blank=True)
    image = models.FileField(upload_to="signatures/%Y/", blank=True)
    scan = models.FileField(upload_to="signature-scans/%Y/", blank=True)
    scan_content_type = models.CharField(max_length=50, blank=True)
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    interpreter_name = models.CharField(
        max_length=200, blank=True, help_text="Who interpreted the agreement to the signer (name, and agency)."
    )
    interpreter_language = models.CharField(
        max_length=10, choices=PARTY_LANGUAGES, blank=True, help_text="The language interpreted into."
    )

    class Meta:
        ordering = ["agreement", "signed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(party__isnull=False) & Q(mediator__isnull=True))
                | (Q(party__isnull=True) & Q(mediator__isnull=False)),
                name="agreements_signature_one_signer",
            ),
            models.UniqueConstraint(
                fields=["agreement", "party"],
                condition=Q(party__isnull=False),
                name="agreements_one_signature_per_party",
            ),
            models.UniqueConstraint(
                fields=["agreement", "mediator"],
                condition=Q(mediator__isnull=False),
                name="agreements_one_signature_per_mediator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signer_name} ({self.role}) on {self.agreement}"


class Payment(models.Model):
    """Money the program received from the offender toward a money term."""

    class Method(models.TextChoices):
        CASH = "cash", "Cash"
        CHECK = "check", "Check"
        MONEY_ORDER = "money_order", "Money order"
        CARD = "card", "Card"
        TRANSFER = "transfer", "Bank transfer"
        OTHER = "other", "Other"

    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    received_on = models.DateField()
    method = models.CharField(max_length=20, choices=Method.choices)
    reference = models.CharField(max_length=100, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="agreements_payment_positive")]

    def __str__(self) -> str:
        return f"{self.amount} received {self.received_on}"


class Disbursement(models.Model):
    """Money the program forwarded to the victim, so the offender never needs the victim's address."""

    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="disbursements")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    paid_on = models.DateField()
    method = models.CharField(max_length=20, choices=Payment.Method.choices)
    reference = models.CharField(max_length=100, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paid_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="agreements_disbursement_positive")]

    def __str__(self) -> str:
        return f"{self.amount} forwarded {self.paid_on}"


class ServiceLog(models.Model):
    """Hours of community service or service to the victim, as verified by whoever supervised them."""

    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="service_logs")
    on = models.DateField()
    hours = models.DecimalField(max_digits=5, decimal_places=2)
    place = models.CharField(max_length=200)
    verified_by = models.CharField(max_length=200, help_text="Name of the supervisor who confirmed the hours.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0, hours__lte=24), name="agreements_servicelog_hours_in_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.hours} h on {self.on}"


class TermCheck(models.Model):
    """A check of a term without amounts: the apology letter received, a commitment kept, service done."""

    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="checks")
    on = models.DateField()
    fulfilled = models.BooleanField(help_text="Whether the term is now fulfilled.")
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "pk"]

    def __str__(self) -> str:
        return f"Check on {self.on}: {'fulfilled' if self.fulfilled else 'not yet'}"


class Letter(models.Model):
    """A letter to the referral source, rendered once and kept with its hash: at every closure, when one
    offender of several is returned, and as an interim progress report (ahead of a court date, say).

    Mediation confidentiality limits it: whether an agreement was reached and fulfilled, per offender what
    was paid, what remains and what the program still holds, and the terms only with every party's written
    consent; never notes, contact details, or why a party declined or was found unsuitable.
    """

    class Kind(models.TextChoices):
        COMPLETION = "completion", "Completion letter"
        NON_COMPLIANCE = "non_compliance", "Non-compliance letter"
        PARTIAL = "partial", "Closure letter: fulfilled in part"
        CLOSURE = "closure", "Closure letter"
        PROGRESS = "progress", "Progress report"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="letters")
    agreement = models.ForeignKey(
        Agreement, on_delete=models.PROTECT, null=True, blank=True, related_name="letters",
        help_text="The signed version the letter reports on; none when the case closed before an agreement.",
    )  # fmt: skip
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The offender a letter is about, when it is about one of several.",
    )  # fmt: skip
    kind = models.CharField(max_length=20, choices=Kind.choices)
    outcome = models.CharField(
        max_length=20, blank=True, db_default="", help_text="The case's outcome, for a closure letter."
    )
    signatory = models.CharField(max_length=200, blank=True, db_default="")
    pdf = models.FileField(upload_to="letters/%Y/")
    pdf_sha256 = models.CharField(max_length=64)
    shares_terms = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.case}"


class AgreementDefault(models.Model):
    """An offender's part of a signed version went into default: an item still unkept the program's
    ``default_after_days`` after its due date. Written once, by the planner, with the coordinators' notice."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="defaults")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    on = models.DateField(help_text="The day the default was noticed.")
    item = models.CharField(max_length=300, help_text="The item that was not kept, as people read it.")
    due_on = models.DateField()

    class Meta:
        ordering = ["agreement", "on"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "party"], name="agreements_one_default_per_offender"),
        ]

    def __str__(self) -> str:
        return f"Default of {self.party_id} on {self.agreement} ({self.on})"


class OffenderReturn(models.Model):
    """A coordinator returned one offender of a case to the referral source for non-compliance: that
    offender's terms are no longer followed, while the other offenders' may still be completed."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="offender_returns")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    on = models.DateField()
    reason = models.TextField(max_length=2000)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "on", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "party"], name="agreements_one_return_per_offender")]

    def __str__(self) -> str:
        return f"Return of {self.party_id} from {self.case} on {self.on}"
