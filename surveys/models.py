"""Satisfaction surveys: a one-time link per party and occasion, and the anonymous answers it collects.

A party never signs in: the link carries a signed token naming the invitation and a random nonce kept
on it. Answers are reported only in aggregate; a response keeps the respondent's role, never a name,
so reports and exports can print comments without saying who wrote them.
"""

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThan, LessThanOrEqual

from cases.models import Party

from .questions import COMMENT_MAX_LENGTH, FIELDS, SCALE_MAX, SCALE_MIN

VALID_FOR = timedelta(days=30)
# Comments up to this many characters are in the comments-by-text index: at most four bytes a character, under
# PostgreSQL's limit for a B-tree row (2,704 bytes); the few longer ones are found by time (``reports.satisfaction``).
INDEXED_COMMENT_LENGTH = 600


class SurveyInvitation(models.Model):
    """One party asked once per occasion. ``used_at`` is set when the answers arrive; it is never reset."""

    class Occasion(models.TextChoices):
        JOINT_SESSION = "joint_session", "After the joint session"
        CLOSURE = "closure", "At closure"

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="survey_invitations")
    party = models.ForeignKey("cases.Party", on_delete=models.PROTECT, related_name="survey_invitations")
    occasion = models.CharField(max_length=20, choices=Occasion.choices)
    nonce = models.CharField(
        max_length=64, blank=True, help_text="Random; the link must carry it. Emptied when the link is revoked."
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="Thirty days after it was created.")
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["party", "occasion"], name="surveys_invitation_once_per_occasion"),
            models.CheckConstraint(
                condition=Q(occasion__in=["joint_session", "closure"]), name="surveys_invitation_occasion_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Survey {self.get_occasion_display().lower()} for {self.party_id} ({self.case_id})"


def _score_in_range(field: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": SCALE_MIN, f"{field}__lte": SCALE_MAX}),
        name=f"surveys_response_{field}_1_to_5",
    )


class SurveyResponse(models.Model):
    """One party's answers: scores on the 1..5 agreement scale (null = prefer not to say) and a comment.

    Reports read ``case``, ``respondent_role`` and ``occasion`` from here and never need the party.
    """

    invitation = models.OneToOneField(SurveyInvitation, on_delete=models.PROTECT, related_name="response")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="survey_responses")
    respondent_role = models.CharField(max_length=20, choices=Party.Role.choices)
    occasion = models.CharField(max_length=20, choices=SurveyInvitation.Occasion.choices)
    fair = models.PositiveSmallIntegerField(null=True, blank=True)
    satisfied = models.PositiveSmallIntegerField(null=True, blank=True)
    safe = models.PositiveSmallIntegerField(null=True, blank=True)
    heard = models.PositiveSmallIntegerField(null=True, blank=True)
    recommend = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True, max_length=COMMENT_MAX_LENGTH)
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [_score_in_range(field) for field in FIELDS]
        indexes = [
            models.Index(fields=["occasion", "submitted_at"]),
            models.Index(fields=["submitted_at"]),
            # The report's comments, first by their text: read in that order with the time and case alongside
            # (an index-only scan), they stop at the last one shown instead of sorting every one of the period.
            models.Index(
                fields=["comment"], include=["submitted_at", "case"], name="surveys_comments_by_text",
                condition=~Q(comment="") & Q(LessThanOrEqual(Length("comment"), INDEXED_COMMENT_LENGTH)),
            ),
            models.Index(
                fields=["submitted_at"], name="surveys_long_comments_by_time",
                condition=Q(GreaterThan(Length("comment"), INDEXED_COMMENT_LENGTH)),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"Survey response {self.pk} ({self.get_respondent_role_display()}, {self.get_occasion_display()})"
