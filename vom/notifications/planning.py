"""The reminder planners' watermarks: a sweep reads what fell due since the last one, not everything.

``sweep_since`` tells a planner where its sweep starts: ``OVERLAP`` before the start of the last sweep that
finished with the same ``params``, or None (read everything) when there is none, when the settings it was
planned with changed, or when the clock is behind it (time moved backwards). ``sweep_finished`` records the
sweep's start once what it queued is committed, so a sweep that fails moves nothing and the next one reads
its window again; a skipped beat (a worker down for a day) only widens the next window.

Two sweeps at once both read the same window and the outbox's unique dedupe keys let one of them insert each
row; whichever finishes last records its own start, which never claims more than that sweep covered. The
overlap covers a change stamped before a sweep started but committed after it read (a transaction that
takes up to ``OVERLAP``); planners that compare dates start from the day of ``sweep_since``.
"""

from datetime import datetime, timedelta

from .models import PlanningSweep

# Far longer than any transaction here (a task is stopped after CELERY_TASK_TIME_LIMIT, 300 s): a change
# stamped before a sweep started and committed after it read is read by the next one.
OVERLAP = timedelta(hours=1)


def sweep_since(name: str, *, now: datetime, params: dict) -> datetime | None:
    last = PlanningSweep.objects.filter(name=name).values_list("started_at", "params").first()
    if last is None or last[1] != params or last[0] > now:
        return None
    return last[0] - OVERLAP


def sweep_finished(name: str, *, now: datetime, params: dict) -> None:
    PlanningSweep.objects.bulk_create(
        [PlanningSweep(name=name, started_at=now, params=params)],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["started_at", "params"],
    )
