"""Guided-stretch actions: the routine machine wired to slots and reminders."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List

import pytest

from actions.answers import ActionAnswerFollowUp, ActionAnswerQuestion, ActionRepeatLastAnswer
from actions.guided_stretch import (
    ActionControlRoutine,
    ActionHandleRoutineCue,
    ActionStartRoutine,
    RoutineAction,
)
from actions.safety import ActionRespondToRedFlag
from coach.intents import CUE_INTENT
from coach.services import Services
from coach.settings import Settings
from tests.support.trackers import slot_events, texts

T0 = 1_800_000_000.0


@pytest.fixture(autouse=True)
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Dict[str, float]]:
    clock = {"now": T0}
    monkeypatch.setattr(RoutineAction, "now", staticmethod(lambda: clock["now"]))
    yield clock


@pytest.fixture
def services() -> Services:
    # typed chat: no lead-in for speech, so holds start when they are announced
    return Services(Settings(words_per_second=None))


def reminders(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [e for e in events if e["event"] == "reminder"]


def cancelled(events: List[Dict[str, Any]]) -> bool:
    return any(e["event"] == "cancel_reminder" for e in events)


def cancelled_names(events: List[Dict[str, Any]]) -> set[str]:
    return {e["name"] for e in events if e["event"] == "cancel_reminder"}


def start(run_action, tracker_factory, text="guide me through a psoas stretch", **kwargs):
    events = run_action(ActionStartRoutine(), tracker_factory(text, "start_routine", **kwargs))
    return events, slot_events(events)["routine"]


def test_start_speaks_the_intro_and_first_step_and_schedules_reminders(
    dispatcher, tracker_factory, run_action
):
    events, state = start(run_action, tracker_factory)
    assert state["status"] == "running"
    assert state["routine_id"] == "knee_to_chest_stretch"
    said = texts(dispatcher)
    assert any("back" in t.lower() for t in said)
    assert all(m.get("spoken") for m in dispatcher.messages)
    scheduled = reminders(events)
    assert scheduled
    for reminder in scheduled:
        assert reminder["intent"] == CUE_INTENT
        assert reminder["name"].startswith("routine-test-user-")
        assert reminder["kill_on_user_msg"] is False
        assert reminder["entities"]["generation"] == str(state["generation"])
    # the last message carries the state and schedule for clients without reminders
    payload = [m for m in dispatcher.messages if "routine" in m][-1]["routine"]
    assert payload["status"] == "running"
    assert [s["cue"] for s in payload["schedule"]] == [r["entities"]["cue"] for r in scheduled]


def test_the_payload_names_the_step_for_a_screen(dispatcher, tracker_factory, run_action):
    """The widget's panel shows the step's short instruction, side and count."""
    _, state = start(run_action, tracker_factory)
    payload = [m for m in dispatcher.messages if "routine" in m][-1]["routine"]
    assert payload["step_index"] == 0 and payload["step_count"] == 3
    assert "back" in payload["instruction"].lower()
    dispatcher.messages.clear()
    control(run_action, tracker_factory, "routine_next", state)
    payload = [m for m in dispatcher.messages if "routine" in m][-1]["routine"]
    assert payload["side"] == "right"
    assert "right" in payload["instruction"].lower()
    # the same words the coach says aloud for this step
    assert payload["instruction"] in [m.get("spoken") for m in dispatcher.messages]


@pytest.mark.parametrize(
    "entities, routine_id",
    [
        ([{"entity": "routine", "value": "deep_massage"}], "deep_massage"),
        ([{"entity": "tool", "value": "release tool"}], "release_tool_session"),
        ([], "knee_to_chest_stretch"),
        ([{"entity": "routine", "value": "stretch"}], "knee_to_chest_stretch"),
    ],
)
def test_start_picks_the_named_routine(entities, routine_id, tracker_factory, run_action):
    _, state = start(run_action, tracker_factory, entities=entities)
    assert state["routine_id"] == routine_id


def test_start_with_a_hold_length_keeps_it(tracker_factory, run_action):
    _, state = start(
        run_action,
        tracker_factory,
        text="coach me through it with 45 second holds",
        entities=[{"entity": "duration", "value": "45 second"}],
    )
    assert state["hold_override_seconds"] == 45


def control(run_action, tracker_factory, intent, state, text="", entities=()):
    return run_action(
        ActionControlRoutine(),
        tracker_factory(text or intent, intent, entities=entities, slots={"routine": state}),
    )


def test_pause_freezes_and_resume_continues_the_remaining_time(
    dispatcher, tracker_factory, run_action, fake_clock
):
    _, state = start(run_action, tracker_factory)
    # skip the setup step into the first hold
    events = control(run_action, tracker_factory, "routine_next", state)
    reminders_of_hold = reminders(events)
    state = slot_events(events)["routine"]
    assert state["hold_seconds"] == 30
    fake_clock["now"] += 12
    events = control(run_action, tracker_factory, "routine_pause", state)
    paused = slot_events(events)["routine"]
    assert paused["status"] == "paused"
    assert paused["remaining_seconds"] == pytest.approx(18)
    assert not reminders(events)
    # exactly the running hold's reminders are cancelled, by name
    assert {r["name"] for r in reminders_of_hold} <= cancelled_names(events)
    fake_clock["now"] += 300  # a long break changes nothing
    events = control(run_action, tracker_factory, "routine_resume", paused)
    resumed = slot_events(events)["routine"]
    assert resumed["status"] == "running"
    ends = [r for r in reminders(events) if r["entities"]["cue"] == "hold_end"]
    assert len(ends) == 1
    # the new schedule is not cancelled by the same action
    assert not {r["name"] for r in reminders(events)} & cancelled_names(events)
    payload = [m for m in dispatcher.messages if "routine" in m][-1]["routine"]
    hold_end = next(s for s in payload["schedule"] if s["cue"] == "hold_end")
    assert hold_end["at"] - fake_clock["now"] == pytest.approx(18)


def test_time_left_mid_hold(dispatcher, tracker_factory, run_action, fake_clock):
    _, state = start(run_action, tracker_factory)
    state = slot_events(control(run_action, tracker_factory, "routine_next", state))["routine"]
    fake_clock["now"] += 10
    control(run_action, tracker_factory, "ask_time_left", state)
    assert texts(dispatcher)[-1] == "20 seconds left."


@pytest.mark.parametrize("said", ["-5 seconds", "0 seconds", "10,000 seconds"])
def test_absurd_holds_are_refused_and_change_nothing(said, dispatcher, tracker_factory, run_action):
    _, state = start(run_action, tracker_factory)
    events = control(
        run_action,
        tracker_factory,
        "set_hold_duration",
        state,
        text=f"make it {said}",
        entities=[{"entity": "duration", "value": said.lstrip("-")}],
    )
    assert "between 5 and 180 seconds" in texts(dispatcher)[-1]
    assert slot_events(events)["routine"]["hold_override_seconds"] is None


def test_make_it_45_seconds_is_kept(tracker_factory, run_action):
    _, state = start(run_action, tracker_factory)
    events = control(
        run_action,
        tracker_factory,
        "set_hold_duration",
        state,
        text="make it 45 seconds",
        entities=[{"entity": "duration", "value": "45 seconds"}],
    )
    assert slot_events(events)["routine"]["hold_override_seconds"] == 45


def test_commands_with_no_routine_say_how_to_start(dispatcher, tracker_factory, run_action):
    for intent in ["routine_next", "routine_pause", "routine_resume", "ask_time_left"]:
        events = control(run_action, tracker_factory, intent, None)
        assert not reminders(events)
    assert all("start the psoas stretch" in t.lower() for t in texts(dispatcher))


def test_stale_reminders_are_ignored_and_current_ones_speak(
    dispatcher, tracker_factory, run_action, fake_clock
):
    _, state = start(run_action, tracker_factory)
    state = slot_events(control(run_action, tracker_factory, "routine_next", state))["routine"]
    said_before = len(dispatcher.messages)
    stale = tracker_factory(
        "",
        entities=[
            {"entity": "cue", "value": "halfway"},
            {"entity": "generation", "value": str(state["generation"] - 1)},
        ],
        slots={"routine": state},
    )
    assert run_action(ActionHandleRoutineCue(), stale) == []
    assert len(dispatcher.messages) == said_before
    fake_clock["now"] += 15
    current = tracker_factory(
        "",
        entities=[
            {"entity": "cue", "value": "halfway"},
            {"entity": "generation", "value": str(state["generation"])},
        ],
        slots={"routine": state},
    )
    run_action(ActionHandleRoutineCue(), current)
    assert "Halfway" in texts(dispatcher)[-1]


def test_reconnect_reschedules_what_is_left(tracker_factory, run_action, fake_clock):
    _, state = start(run_action, tracker_factory)
    state = slot_events(control(run_action, tracker_factory, "routine_next", state))["routine"]
    fake_clock["now"] += 5
    tracker = tracker_factory(
        "", CUE_INTENT, entities=[{"entity": "cue", "value": "reconnect"}], slots={"routine": state}
    )
    events = run_action(ActionHandleRoutineCue(), tracker)
    ends = [r for r in reminders(events) if r["entities"]["cue"] == "hold_end"]
    assert ends, "the rest of the hold is scheduled again"


def test_a_red_flag_mid_routine_stops_it_at_once(dispatcher, tracker_factory, run_action):
    _, state = start(run_action, tracker_factory)
    tracker = tracker_factory("ouch my leg is numb", screen=True, slots={"routine": state})
    events = run_action(ActionRespondToRedFlag(), tracker)
    assert cancelled(events)
    assert not reminders(events)
    assert slot_events(events)["routine"]["status"] == "stopped"
    assert "Please stop the stretch now" in texts(dispatcher)[-1]


def test_conversation_intents_mean_routine_commands_mid_routine(
    dispatcher, tracker_factory, run_action, fake_clock
):
    _, state = start(run_action, tracker_factory)
    state = slot_events(control(run_action, tracker_factory, "routine_next", state))["routine"]
    fake_clock["now"] += 10

    run_action(
        ActionAnswerQuestion(),
        tracker_factory("how long", "ask_hold_duration", slots={"routine": state}),
    )
    assert texts(dispatcher)[-1] == "20 seconds left."

    events = run_action(
        ActionAnswerFollowUp(),
        tracker_factory("switch sides", "ask_other_side", slots={"routine": state}),
    )
    switched = slot_events(events)["routine"]
    assert switched["step_index"] > state["step_index"]

    events = run_action(
        ActionRepeatLastAnswer(),
        tracker_factory("say that again", "ask_repeat", slots={"routine": switched}),
    )
    assert slot_events(events)["routine"]["step_index"] == switched["step_index"]
    assert reminders(events), "repeating a step restarts its hold"
