from django.core.management.base import BaseCommand

from cases.retention import anonymise_expired


class Command(BaseCommand):
    help = "Anonymise closed cases past their program's retention period (--dry-run lists them only)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List what would be anonymised; change nothing.")

    def handle(self, *args, dry_run: bool, **options):
        cases = anonymise_expired(dry_run=dry_run)
        verb = "would be anonymised" if dry_run else "anonymised"
        for case in cases:
            self.stdout.write(
                f"{case.number}  closed {case.closed_at:%Y-%m-%d}  ({case.program.retention_years} y)  {verb}"
            )
        self.stdout.write(f"{len(cases)} case(s) {verb}.")
