"""Restore a backup made by `manage.py backup` into an empty database and media folder, then prove it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from vom.core.backups import open_backup, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup into the configured (empty) database and MEDIA_ROOT, after checking every file's SHA-256; "
        "then check migrations, row counts, signed agreement PDFs and the audit trail's append-only trigger. "
        "Refuses a non-empty database or media folder unless --force is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path, help="The backup file (vom-backup-….tar or ….tar.age).")
        parser.add_argument("--identity", type=Path, help="File with the age secret key (AGE-SECRET-KEY-1…).")
        parser.add_argument(
            "--force", action="store_true",
            help="Replace whatever is in the database and MEDIA_ROOT (every table and file there is removed first).",
        )  # fmt: skip
        parser.add_argument("--work-dir", type=Path, help="Where to unpack the backup (default: the system temp).")

    def handle(self, *args, backup: Path, identity: Path | None, force: bool, work_dir: Path | None, **options):
        opened = open_backup(backup, identity=identity, work_root=work_dir, progress=self.stdout.write)
        try:
            report = restore_backup(opened, force=force, progress=self.stdout.write)
        finally:
            opened.cleanup()
        for line in report.lines:
            self.stdout.write(f"  ok  {line}")
        for line in report.problems:
            self.stdout.write(f"  !!  {line}")
        if report.problems:
            raise CommandError(
                f"The restore of {backup.name} failed {len(report.problems)} check(s) (above). The restored data is "
                "left in place for inspection: do not serve it."
            )
        self.stdout.write(self.style.SUCCESS(f"Restored {backup.name} and checked it: ready to serve."))
