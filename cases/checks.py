"""System checks: every move of the stage graph has exactly one handler among the apps' extensions, and what
an extension hands to ``cases`` for the case page can be called.

A move without a handler would silently vanish from the case page; two handlers would leave it to
registration order which one runs; a handler for a move the graph does not have is a typo or a leftover;
a move offered on the case page, or one that follows by itself, needs a guard that says what is missing.
Django runs the check at start-up (``runserver``, ``migrate``, ``check``) and refuses to go on.
"""

from collections import Counter

from django.core import checks

from . import extensions, stages


def move_errors(extension_list: list[extensions.CaseExtension], moves: list[stages.Move]) -> list[checks.Error]:
    """What is wrong between these extensions' move handlers and these moves (empty: nothing)."""
    names = {move.name for move in moves}
    following = {move.name for move in moves if move.follows}  # taken by themselves once their guard is met
    owners = Counter()
    where: dict[str, list[str]] = {}
    errors = []
    for extension in extension_list:
        for handler in extension.moves:
            if handler.move not in names:
                errors.append(
                    checks.Error(
                        f"{extension.app} registers a handler for the move {handler.move!r}, which cases.stages.MOVES "
                        "does not have.",
                        hint="Add the move to cases.stages.MOVES, or remove the handler from the app's extension.",
                        obj=extension.app,
                        id="cases.E003",
                    )
                )
                continue
            if (handler.on_case_page or handler.move in following) and handler.guard is None:
                errors.append(
                    checks.Error(
                        f"{extension.app}'s handler for the move {handler.move!r} is offered on the case page (or "
                        "follows by itself) but has no guard to say what is missing.",
                        hint="Give it a guard, or mark it on_case_page=False and name the page that performs it.",
                        obj=extension.app,
                        id="cases.E004",
                    )
                )
            owners[handler.move] += 1
            where.setdefault(handler.move, []).append(extension.app)
    for name in sorted(names):
        if owners[name] == 0:
            owner = next(move.owner for move in moves if move.name == name)
            errors.append(
                checks.Error(
                    f"The move {name!r} has no handler: it would never be offered or performed.",
                    hint=f"Give it a MoveHandler in the {owner} app's CaseExtension (cases.extensions).",
                    obj=name,
                    id="cases.E001",
                )
            )
        elif owners[name] > 1:
            errors.append(
                checks.Error(
                    f"The move {name!r} has {owners[name]} handlers ({', '.join(where[name])}); it must have one.",
                    hint="Keep the handler in the app that owns the facts its guard checks.",
                    obj=name,
                    id="cases.E002",
                )
            )
    return errors


CALLABLE_HOOKS = ("load_facts", "case_annotations", "party_annotations", "next_actions", "case_next_actions")


def hook_errors(extension_list: list[extensions.CaseExtension]) -> list[checks.Error]:
    """An extension's facts loader (and the other hooks the case page calls) given but not callable."""
    errors = []
    for extension in extension_list:
        for hook in CALLABLE_HOOKS:
            value = getattr(extension, hook)
            if value is not None and not callable(value):
                errors.append(
                    checks.Error(
                        f"{extension.app}'s {hook} is {value!r}, which cannot be called.",
                        hint=f"Give {hook} a function (see cases.extensions.CaseExtension), or leave it out.",
                        obj=extension.app,
                        id="cases.E005",
                    )
                )
    return errors


@checks.register()
def check_move_handlers(app_configs=None, **kwargs) -> list[checks.Error]:
    return move_errors(extensions.extensions(), stages.MOVES)


@checks.register()
def check_extension_hooks(app_configs=None, **kwargs) -> list[checks.Error]:
    return hook_errors(extensions.extensions())
