"""Read models: stored figures derived from the source tables, kept only because reading them is cheaper.

Each is derived (recomputable at any time from the records it is computed from), versioned or recomputed
in the same transaction as every write that changes one of its inputs, and rebuildable: the app that owns
it registers it here from its ``AppConfig.ready()`` (``vom`` imports no domain app), and
``manage.py rebuild_read_models`` recomputes every stored row, or with ``--check`` reports the rows that
differ from a direct recomputation (docs/benchmarks.md, "Read models").
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ReadModel:
    """One kind of stored, derived row, and how to recompute it in batches of keys.

    ``keys()`` is a queryset of the keys (primary keys of the rows' owners) the model covers, in a stable
    order; ``differences(keys)`` returns a sentence per stored row of that batch that is neither current
    (equal to a recomputation from the sources) nor marked stale; ``rebuild(keys)`` recomputes and stores the
    batch and returns how many rows it wrote or changed.
    """

    name: str
    description: str
    keys: Callable[[], Iterable[int]]
    differences: Callable[[list[int]], list[str]]
    rebuild: Callable[[list[int]], int]


_registry: dict[str, ReadModel] = {}


def register(model: ReadModel) -> None:
    if model.name in _registry and _registry[model.name] != model:
        raise ValueError(f"Read model {model.name!r} is registered twice.")
    _registry[model.name] = model


def read_models() -> list[ReadModel]:
    return sorted(_registry.values(), key=lambda model: model.name)
