from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Who saw or changed what, when, from where. Append-only: never updated or deleted.

    On PostgreSQL a trigger refuses UPDATE and DELETE on this table (migration 0002); the admin shows
    it read-only. Confidential values are masked before they are written here.
    """

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        CHANGE = "change", "Changed"
        DOWNLOAD = "download", "Downloaded"
        UPLOAD = "upload", "Uploaded"
        EXPORT = "export", "Exported"
        LOGIN = "login", "Signed in"
        LOGOUT = "logout", "Signed out"
        LOGIN_FAILED = "login_failed", "Failed sign-in"
        TWO_FACTOR_VERIFIED = "2fa_verified", "Two-factor code accepted"
        TWO_FACTOR_FAILED = "2fa_failed", "Two-factor code refused"
        TWO_FACTOR_ENROLLED = "2fa_enrolled", "Two-factor set up"
        TWO_FACTOR_CODES = "2fa_codes", "New backup codes"
        TWO_FACTOR_REMOVED = "2fa_removed", "Two-factor removed"
        REVEAL = "reveal", "Revealed confidential details"
        REFUSED = "refused", "Refused attempt"
        VERIFY = "verify", "Public verification"
        TEXT = "text", "Text message reply"
        UNLOCK = "unlock", "Sign-in unlocked"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # PROTECT: an account named in the audit trail is deactivated, never deleted (the rows cannot be updated
    # to forget it, and should not). ``username`` is the snapshot the row keeps whatever happens to the account.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True, help_text="The account's name when this happened.")
    action = models.CharField(max_length=20, choices=Action.choices)
    what = models.CharField(max_length=200, help_text="The page or record, e.g. cases:detail or agreement 12.")
    # Found by the (case_id, -at) index below: a second index on case_id alone cost every audited view an insert.
    case_id = models.BigIntegerField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["case_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action} {self.what}"
