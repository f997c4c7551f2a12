"""The contract between cases and the apps above it: every move has exactly one handler, and start-up
fails when it has none, two, or a handler names a move the stage graph does not have."""

import dataclasses

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from cases import extensions, stages
from cases.checks import hook_errors, move_errors
from cases.extensions import CaseExtension, MoveHandler


def _perform(*, case, expected_version, actor):
    return case


def _nothing_missing(case):
    return []


@pytest.fixture
def registered():
    """The real registrations, restored after a test that breaks them on purpose."""
    saved = dict(extensions._EXTENSIONS)
    yield extensions._EXTENSIONS
    extensions._EXTENSIONS.clear()
    extensions._EXTENSIONS.update(saved)


def test_every_move_of_the_stage_graph_has_exactly_one_handler():
    assert move_errors(extensions.extensions(), stages.MOVES) == []
    assert set(extensions.move_handlers()) == {move.name for move in stages.MOVES}
    call_command("check")  # the real start-up check passes


def test_each_move_is_handled_by_the_app_that_owns_it():
    owners = {move.name: move.owner for move in stages.MOVES}
    for extension in extensions.extensions():
        for handler in extension.moves:
            assert owners[handler.move] == extension.app, handler.move


def test_a_move_without_handler_is_an_error():
    without = [
        dataclasses.replace(e, moves=tuple(h for h in e.moves if h.move != "complete")) for e in extensions.extensions()
    ]
    errors = move_errors(without, stages.MOVES)
    assert [(e.id, e.obj) for e in errors] == [("cases.E001", "complete")]
    assert "in the agreements app's CaseExtension" in errors[0].hint


def test_a_move_with_two_handlers_is_an_error():
    twice = [
        *extensions.extensions(),
        CaseExtension(app="other", moves=(MoveHandler("begin_session", _perform, _nothing_missing),)),
    ]
    errors = move_errors(twice, stages.MOVES)
    assert [(e.id, e.obj) for e in errors] == [("cases.E002", "begin_session")]
    assert "2 handlers (mediation, other)" in errors[0].msg


def test_a_handler_for_an_unknown_move_is_an_error():
    typo = [
        *extensions.extensions(),
        CaseExtension(app="other", moves=(MoveHandler("begin_sesion", _perform, _nothing_missing),)),
    ]
    errors = move_errors(typo, stages.MOVES)
    assert [(e.id, e.obj) for e in errors] == [("cases.E003", "other")]


def test_a_case_page_move_without_guard_is_an_error():
    unguarded = [
        dataclasses.replace(
            e, moves=tuple(dataclasses.replace(h, guard=None) if h.move == "begin_session" else h for h in e.moves)
        )
        for e in extensions.extensions()
    ]
    assert [e.id for e in move_errors(unguarded, stages.MOVES)] == ["cases.E004"]


def test_start_up_fails_on_a_broken_registration(registered):
    mediation = registered["mediation"]
    extensions.register(dataclasses.replace(mediation, moves=mediation.moves[1:]))  # begin_preparation dropped
    with pytest.raises(SystemCheckError, match="cases.E001.*'begin_preparation' has no handler"):
        call_command("check")


@pytest.mark.django_db
def test_a_move_performed_elsewhere_is_never_offered_nor_accepted_on_the_case_page(client, case, coordinator):
    """Return to the referral source has its own page; its handler says so, and the generic move refuses it."""
    case.stage = case.Stage.FOLLOW_UP
    case.save()
    client.force_login(coordinator)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"/cases/{case.pk}/move/return_to_source/" not in page
    response = client.post(f"/cases/{case.pk}/move/return_to_source/", {"version": case.version}, follow=True)
    assert "That step is not available for this case now." in response.content.decode()
    case.refresh_from_db()
    assert case.stage == case.Stage.FOLLOW_UP


def test_a_facts_loader_that_cannot_be_called_is_an_error(registered):
    assert hook_errors(extensions.extensions()) == []
    surveys = registered["surveys"]
    # A dotted name where a function belongs:
    extensions.register(dataclasses.replace(surveys, load_facts="surveys.facts.load_survey_facts"))
    errors = hook_errors(extensions.extensions())
    assert [(e.id, e.obj) for e in errors] == [("cases.E005", "surveys")]
    assert "load_facts" in errors[0].msg
    with pytest.raises(SystemCheckError, match="cases.E005"):
        call_command("check")
