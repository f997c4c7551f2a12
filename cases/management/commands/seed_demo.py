import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.demo import DEMO_TOTP_SECRET, ensure_program_and_staff, seed_cases
from vom.celery import app as celery_app
from vom.core.progress import progress_bar
from vom.notifications.models import Notification
from vom.users.selectors import otpauth_uri_for_key

DEFAULT_PASSWORD = "mediate-2026"  # noqa: S105 -- demo accounts only; printed on purpose


class Command(BaseCommand):
    help = (
        "Create the demo program, its staff (printed logins) and synthetic cases in every stage. "
        "Deterministic and safe to run twice; --cases N grows the data set in bulk for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=40, help="Make sure the demo program has this many cases.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed; the same seed gives the same cases.")
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Password for newly created demo accounts.")
        parser.add_argument(
            "--workers", type=int, default=1,
            help="Processes that build and insert the bulk cases (PostgreSQL; the same cases as one process makes).",
        )  # fmt: skip

    def handle(self, *args, cases: int, seed: int, password: str, workers: int, **options):
        if cases < 0:
            raise CommandError("--cases must be zero or more.")
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        started = time.monotonic()
        program, logins = ensure_program_and_staff(password=password)
        missing = max(0, cases - program.cases.count())
        try:
            with progress_bar(self, total=missing, desc="Seeding cases", unit="case") as bar:
                created = seed_cases(program=program, total=cases, seed=seed, workers=workers, progress=bar.update)
        except (ValueError, RuntimeError) as exc:
            raise CommandError(str(exc)) from exc
        if settings.CELERY_TASK_ALWAYS_EAGER:
            # No broker, so no beat: run each periodic task once, so the demo shows its reminders
            # (in the app, and as emails under var/mail) as a running beat would.
            celery_app.loader.import_default_modules()  # autodiscover the apps' tasks now
            for entry in settings.CELERY_BEAT_SCHEDULE.values():
                celery_app.tasks[entry["task"]].apply()
        elapsed = time.monotonic() - started
        self.stdout.write(f"Program: {program.name}")
        self.stdout.write(f"Cases: {created} created, {program.cases.count()} in all ({elapsed:.1f} s)")
        if settings.CELERY_TASK_ALWAYS_EAGER:
            self.stdout.write(_texts_line())
        self.stdout.write("")
        self.stdout.write("Demo logins (username / password / role):")
        for username, pw, role, has_demo_key in logins:
            then = "then a 6-digit code" if has_demo_key else ""
            self.stdout.write(f"  {username:<12} {pw:<14} {role:<12} {then}".rstrip())
        self.stdout.write("(Accounts that already existed keep the password they had.)")
        with_key = [username for username, *_, has_demo_key in logins if has_demo_key]
        if with_key:
            secret = " ".join(DEMO_TOTP_SECRET[i : i + 4] for i in range(0, len(DEMO_TOTP_SECRET), 4))
            for line in [
                "",
                f"Two-factor sign-in: after the password, {' and '.join(with_key)} "
                f"{'is' if len(with_key) == 1 else 'are'} asked for a 6-digit code.",
                f"  Print the current one:  .venv/bin/python manage.py totp_code {with_key[-1]}",
                "  or add the demo key to an authenticator app on your phone (time-based, 6 digits, 30 s):",
                f"    {secret}",
                f"    {otpauth_uri_for_key(DEMO_TOTP_SECRET, account='demo')}",
                "  The demo key is public: use these accounts for the demo only. totp_code refuses to run when",
                "  DEBUG is off.",
            ]:
                self.stdout.write(line)


def _texts_line() -> str:
    """What the demo's texts did: written as files (the default provider), or waiting for quiet hours."""
    texts = Notification.objects.filter(channel=Notification.Channel.SMS)
    sent = texts.filter(status=Notification.Status.SENT).count()
    waiting = texts.filter(status=Notification.Status.PENDING).order_by("due_at").values_list("due_at", flat=True)
    line = f"Texts: {sent} written under var/sms/"
    if first := waiting.first():
        next_at = timezone.localtime(first)
        line += f"; {waiting.count()} waiting, the next at {next_at:%b %-d %H:%M} (no texts in quiet hours)"
    return line
