from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who signs in: a mediator, a coordinator or an admin.

    What a user may do in a program comes from ``cases.Membership``; admins are staff/superusers.
    Parties (victims, offenders, guardians) never have accounts.
    """

    email = models.EmailField("email address", blank=True)
    sign_in_unlocked_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When an admin last lifted a sign-in lock: failures before it no longer count.",
    )

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            # Password reset is by email, so two accounts must not share one.
            models.UniqueConstraint(
                models.functions.Lower("email"),
                condition=~models.Q(email=""),
                name="users_user_email_unique_ci",
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username
