"""Write one self-describing backup (database, media, manifest); see vom/core/backups.py and docs/backups.md."""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from vom.core.backups import create_backup


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump custom format, or SQLite's online backup) and MEDIA_ROOT into one file with "
        "a manifest of versions, migrations, row counts and SHA-256 hashes; optionally encrypted to age public keys. "
        "Exits non-zero on any failure and never leaves a partial file under a backup's name."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", type=Path, default=Path(os.environ.get("BACKUP_DIR") or settings.BASE_DIR / "var/backups"),
            help="Folder to write into (default: $BACKUP_DIR, else ./var/backups).",
        )  # fmt: skip
        parser.add_argument(
            "--encrypt-to", action="append", default=None, metavar="AGE_PUBLIC_KEY",
            help="Encrypt to this age public key (age1…); repeat for several. Default: $BACKUP_AGE_RECIPIENTS "
            "(comma-separated), else not encrypted.",
        )  # fmt: skip
        parser.add_argument("--keep", type=int, default=None, help="After success, keep only the newest N backups.")

    def handle(self, *args, output: Path, encrypt_to: list[str] | None, keep: int | None, **options):
        if keep is not None and keep < 1:
            raise CommandError("--keep must be at least 1.")
        if encrypt_to is None:
            encrypt_to = [k for k in os.environ.get("BACKUP_AGE_RECIPIENTS", "").split(",") if k.strip()]
        result = create_backup(folder=output, recipients=encrypt_to, progress=self.stdout.write, keep=keep)
        self.stdout.write(f"{result.path}")
