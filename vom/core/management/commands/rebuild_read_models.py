"""Recompute every stored read model from its source tables, or check that what is stored matches them."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from vom.core.progress import progress_bar
from vom.core.read_models import read_models

BATCH = 2000
SHOWN = 20  # differences printed per read model; the count covers them all


class Command(BaseCommand):
    help = (
        "Recompute the stored read models (the follow-up summaries, the cases' juvenile flag and party names, the "
        "reports' figures a day) from the source tables. With --check, change nothing: list the stored rows that "
        "differ from a direct recomputation and exit 1 if there is any."
    )

    def add_arguments(self, parser):
        names = [model.name for model in read_models()]
        parser.add_argument("--check", action="store_true", help="Report differences; write nothing.")
        parser.add_argument("--only", nargs="+", choices=names, metavar="NAME", help=f"Some of: {', '.join(names)}.")

    def handle(self, *args, check: bool, only: list[str] | None, **options):
        total_differences = 0
        for model in read_models():
            if only and model.name not in only:
                continue
            keys = list(model.keys())
            found, written = [], 0
            verb = "Checking" if check else "Rebuilding"
            with progress_bar(self, total=len(keys), desc=f"{verb} {model.name}", unit="row") as bar:
                for start in range(0, len(keys), BATCH):
                    batch = keys[start : start + BATCH]
                    if check:
                        found += model.differences(batch)
                    else:
                        with transaction.atomic():  # one batch at a time: a long rebuild holds no long lock
                            written += model.rebuild(batch)
                    bar.update(len(batch))
            if check:
                for line in found[:SHOWN]:
                    self.stdout.write(f"DIFFERS {line}")
                if len(found) > SHOWN:
                    self.stdout.write(f"… and {len(found) - SHOWN} more")
                self.stdout.write(f"{model.name}: {len(keys)} row(s) checked, {len(found)} differ(s).")
                total_differences += len(found)
            else:
                self.stdout.write(
                    f"{model.name}: {len(keys)} row(s) recomputed, {written} were missing, stale or wrong."
                )
        if total_differences:
            raise CommandError(
                f"{total_differences} stored read-model row(s) differ from their sources: "
                "run manage.py rebuild_read_models to recompute them."
            )
