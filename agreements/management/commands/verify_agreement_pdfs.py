"""Check every stored signed PDF against the SHA-256 recorded when it was locked."""

import hashlib

from django.core.management.base import BaseCommand, CommandError

from agreements.models import Agreement
from vom.core.progress import progress_bar


class Command(BaseCommand):
    help = "Check every stored signed agreement PDF against its recorded SHA-256; exit 1 on any mismatch."

    def handle(self, *args, **options):
        checked, problems = 0, []
        stored = Agreement.objects.exclude(pdf="").select_related("case").order_by("pk")
        for agreement in progress_bar(
            self, total=stored.count(), desc="Checking PDFs", unit="pdf", iterable=stored.iterator(chunk_size=500)
        ):
            label = f"case {agreement.case.number} version {agreement.number}"
            try:
                with agreement.pdf.open("rb") as handle:
                    digest = hashlib.sha256()
                    for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                        digest.update(chunk)
            except FileNotFoundError:
                problems.append(f"MISSING  {label}: {agreement.pdf.name}")
                continue
            checked += 1
            if digest.hexdigest() != agreement.pdf_sha256:
                found = digest.hexdigest()
                problems.append(
                    f"MISMATCH {label}: {agreement.pdf.name} (stored {agreement.pdf_sha256[:12]}…, file {found[:12]}…)"
                )
        without_pdf = Agreement.objects.filter(status__in=["signed", "superseded"], pdf="").count()
        for line in problems:
            self.stdout.write(line)
        self.stdout.write(f"{checked} PDF(s) checked, {len(problems)} problem(s); ")
        self.stdout.write(f"{without_pdf} signed version(s) without a stored PDF (bulk demo records).")
        if problems:
            raise CommandError(f"{len(problems)} stored agreement PDF(s) failed verification.")
