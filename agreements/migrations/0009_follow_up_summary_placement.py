"""The follow-up summary carries who sees it and whether it is on the Follow-up list, and a revision of its
own, so the list counts, pages and finds what to recompute from this table alone (docs/benchmarks.md)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def place(apps, schema_editor):
    """Copy each stored summary's program, mediators and followed flag from its agreement and case, and its
    own revision (a summary behind its agreement's stays stale). Followed agreements with no summary
    get theirs on ``manage.py rebuild_read_models`` (run it after migrating)."""
    summary = apps.get_model("agreements", "FollowUpSummary")
    rows = summary.objects.select_related("agreement__case").order_by("pk")
    batch = []
    for row in rows.iterator(chunk_size=2000):
        agreement, case = row.agreement, row.agreement.case
        row.program_id, row.lead_mediator_id, row.co_mediator_id = (
            case.program_id, case.lead_mediator_id, case.co_mediator_id
        )
        row.followed = agreement.status == "signed" and case.stage == "follow_up"
        current = row.revision == agreement.follow_up_revision
        row.source_revision = row.revision if current else row.revision + 1  # behind: stale, as it was
        batch.append(row)
        if len(batch) == 2000:
            summary.objects.bulk_update(batch, ["program", "lead_mediator", "co_mediator", "followed",
                                                "source_revision", "revision"])  # fmt: skip
            batch = []
    if batch:
        summary.objects.bulk_update(batch, ["program", "lead_mediator", "co_mediator", "followed", "source_revision",
                                            "revision"])  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0008_reminder_planning_indexes"),
        ("cases", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="followupsummary",
            name="source_revision",
            field=models.PositiveIntegerField(
                default=1,
                help_text="Raised with the agreement's follow-up revision by every change to a record the figures "
                "are computed from: the figures count only while ``revision`` has caught up with it.",
            ),
        ),
        migrations.AlterField(
            model_name="followupsummary",
            name="revision",
            field=models.PositiveIntegerField(help_text="The ``source_revision`` the figures were computed at."),
        ),
        migrations.AddField(
            model_name="followupsummary",
            name="followed",
            field=models.BooleanField(default=False, help_text="Signed, current, and its case in follow-up."),
        ),
        migrations.AddField(
            model_name="followupsummary",
            name="program",
            field=models.ForeignKey(
                db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+", to="cases.program",
            ),  # fmt: skip
        ),
        migrations.AddField(
            model_name="followupsummary",
            name="lead_mediator",
            field=models.ForeignKey(
                blank=True, db_constraint=False, db_index=False, null=True,
                on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to=settings.AUTH_USER_MODEL,
            ),  # fmt: skip
        ),
        migrations.AddField(
            model_name="followupsummary",
            name="co_mediator",
            field=models.ForeignKey(
                blank=True, db_constraint=False, db_index=False, null=True,
                on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to=settings.AUTH_USER_MODEL,
            ),  # fmt: skip
        ),
        migrations.RunPython(place, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="followupsummary",
            name="program",
            field=models.ForeignKey(
                db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+", to="cases.program",
            ),  # fmt: skip
        ),
        migrations.AddIndex(
            model_name="followupsummary",
            index=models.Index(
                condition=models.Q(("followed", True)),
                fields=["program", "fulfilled", "next_due", "agreement"],
                name="agreements_summary_followed",
            ),
        ),
        migrations.AddIndex(
            model_name="followupsummary",
            index=models.Index(
                condition=models.Q(("followed", True)), fields=["lead_mediator"], name="agreements_summary_lead"
            ),
        ),
        migrations.AddIndex(
            model_name="followupsummary",
            index=models.Index(
                condition=models.Q(("followed", True)), fields=["co_mediator"], name="agreements_summary_co"
            ),
        ),
        migrations.AddIndex(
            model_name="followupsummary",
            index=models.Index(
                condition=models.Q(("followed", True), ("revision__lt", models.F("source_revision"))),
                fields=["program"],
                name="agreements_summary_stale",
            ),
        ),
    ]
