"""Small numbers never identify anyone: figures about fewer people than the program's threshold are hidden.

Every cell of a report section says how many people (or cases) it is about (``Cell.people``): a count is
about that many, an average or a median about the answers or cases it was taken over, a sum of money about
the cases it adds up, a rate about the people it counts. A figure about more than none and fewer than the
threshold (``Program.report_threshold``, 5 unless set) shows "fewer than 5" instead, everywhere the section
goes (page, CSV, PDF, dashboard).

Hiding one figure is not enough when the others give it back: a total minus the shown parts is the hidden
part. So hiding is complemented until nothing can be recovered:

- across a row whose first column is the sum of the others (all = juveniles + adults; all who answered =
  the victim side + the offender side): when exactly one part is hidden, the other part is hidden too;
- down a column, within a group of rows that add up (referrals by source; agreements fulfilled, fulfilled in
  part, returned): when exactly one row of the group is hidden, the smallest other shown row (not zero) is
  hidden too, or, when there is none, the group's total.
"""

from dataclasses import dataclass, field

DEFAULT_THRESHOLD = 5


def hidden_text(threshold: int) -> str:
    return f"fewer than {threshold}"


@dataclass
class AddsUp:
    """Rows (by label) of a section whose cells add up, column by column, to ``total`` (a row label) if it
    is shown in the section, or to a figure the section shows otherwise (a share's base)."""

    rows: list[str]
    total: str = ""


@dataclass
class Rules:
    split_columns: bool = False  # the first column is the sum of the others
    groups: list[AddsUp] = field(default_factory=list)


def _hide(cell, threshold: int) -> bool:
    if cell.hidden:
        return False
    cell.hidden, cell.value, cell.of, cell.text, cell.url = True, None, None, hidden_text(threshold), ""
    return True


def _small(cell, threshold: int) -> bool:
    return cell.people is not None and 0 < cell.people < threshold


def suppress(section, threshold: int, rules: Rules | None = None) -> None:
    """Hide the small figures of ``section`` (in place), then what would give them back."""
    rules = rules or Rules()
    for row in section.rows:
        for cell in row.cells:
            if _small(cell, threshold):
                _hide(cell, threshold)
    by_label = {row.label: row for row in section.rows}
    changed = True
    while changed:
        changed = False
        if rules.split_columns:
            for row in section.rows:
                parts = row.cells[1:]
                hidden = [cell for cell in parts if cell.hidden]
                if len(hidden) == 1 and not row.cells[0].hidden:
                    for cell in parts:
                        changed |= _hide(cell, threshold)
        for group in rules.groups:
            rows = [by_label[label] for label in group.rows if label in by_label]
            total = by_label.get(group.total)
            for column in range(len(section.columns)):
                cells = [row.cells[column] for row in rows]
                if sum(cell.hidden for cell in cells) != 1:
                    continue
                shown = [cell for cell in cells if not cell.hidden and (cell.people or 0) > 0]
                if shown:
                    changed |= _hide(min(shown, key=lambda cell: cell.people), threshold)
                elif total is not None:
                    changed |= _hide(total.cells[column], threshold)
