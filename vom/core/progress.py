"""Progress bars for management commands that run longer than a few seconds.

tqdm: one small, pure-Python package with no dependencies of its own, so the runtime requirements stay
light (rich would bring Pygments and markdown-it along for the same bar). The bar goes to the command's
stderr and only when that is a terminal; output captured by a log or a test gets the summary alone.
"""

from tqdm import tqdm


def progress_bar(command, *, total: int, desc: str, unit: str = "it", iterable=None) -> tqdm:
    """A bar for ``command`` (a BaseCommand), written to its stderr: iterate over it (with ``iterable``), or
    use it as a context manager and call ``update(n)``."""
    stream = getattr(command.stderr, "_out", command.stderr)  # OutputWrapper would end each redraw with "\n"
    return tqdm(iterable, total=total, desc=desc, unit=unit, file=stream, disable=None, dynamic_ncols=True, leave=True)
