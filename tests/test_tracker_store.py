"""The tracker store (stores/tracker_store.py) on SQLite: forgetting, retention,
and outages ridden out or said, never a blank conversation."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import sqlalchemy.exc
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from coach.intents import FORGET_ACTION
from coach.settings import DEFAULT_DOMAIN_FILE
from stores.tracker_store import CoachTrackerStore, StoreUnavailable, fail_loudly


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(DEFAULT_DOMAIN_FILE))


@pytest.fixture
def store(tmp_path: Path, domain: Domain) -> CoachTrackerStore:
    return CoachTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "trackers.db"))


def conversation(sender: str, *actions: str, at: float | None = None) -> DialogueStateTracker:
    stamp = time.time() if at is None else at
    events = [UserUttered("how do I stretch my psoas", timestamp=stamp)]
    events += [ActionExecuted(name, timestamp=stamp) for name in actions]
    events.append(SlotSet("topic", "stretch", timestamp=stamp))
    return DialogueStateTracker.from_events(sender, events)


def run(coroutine):
    return asyncio.run(coroutine)


def test_a_conversation_is_kept_and_read_back(store: CoachTrackerStore):
    run(store.save(conversation("ann", "action_answer_question")))
    kept = run(store.retrieve("ann"))
    assert kept is not None and kept.get_slot("topic") == "stretch"


def test_the_forget_action_deletes_every_event_of_that_conversation(store: CoachTrackerStore):
    run(store.save(conversation("ann", "action_answer_question")))
    run(store.save(conversation("bob", "action_answer_question")))
    earlier = run(store.retrieve("ann"))
    assert earlier is not None
    for event in conversation("ann", "action_ask_forget").events:
        earlier.update(event)
    earlier.update(UserUttered("yes"))
    earlier.update(ActionExecuted(FORGET_ACTION))
    run(store.save(earlier))
    assert run(store.retrieve("ann")) is None
    assert run(store.retrieve("bob")) is not None, "only that conversation"


def test_a_conversation_idle_past_the_retention_time_is_gone(store: CoachTrackerStore):
    store.retention_seconds = 3600
    old = time.time() - 7200
    run(store.save(conversation("old", "action_answer_question", at=old)))
    run(store.save(conversation("new", "action_answer_question")))
    assert run(store.retrieve("old")) is None
    assert run(store.retrieve("new")) is not None


def test_the_sweep_deletes_only_idle_conversations(store: CoachTrackerStore):
    store.retention_seconds = 0  # nothing swept while saving
    run(store.save(conversation("old", "action_answer_question", at=time.time() - 7200)))
    run(store.save(conversation("new", "action_answer_question")))
    store.retention_seconds = 3600
    assert run(store.sweep()) == 1
    assert set(run(store.keys())) == {"new"}


def unreachable():
    return sqlalchemy.exc.OperationalError("SELECT", {}, Exception("server closed the connection"))


def test_a_short_outage_is_ridden_out(store: CoachTrackerStore, monkeypatch):
    run(store.save(conversation("ann", "action_answer_question")))
    real = store.session_scope
    failures = iter([unreachable(), unreachable()])

    def flaky():
        error = next(failures, None)
        if error is not None:
            raise error
        return real()

    monkeypatch.setattr(store, "session_scope", flaky)
    assert run(store.retrieve("ann")) is not None


def test_a_long_outage_raises_and_rasas_wrapper_passes_it_on(store: CoachTrackerStore, monkeypatch):
    store.retry_seconds = 0.3

    def down():
        raise unreachable()

    monkeypatch.setattr(store, "session_scope", down)
    with pytest.raises(StoreUnavailable):
        run(store.retrieve("ann"))
    wrapped = FailSafeTrackerStore(store)
    # Rasa's wrapper alone would hand back a blank conversation...
    assert run(wrapped.retrieve("ann")) is None
    # ...and, told to fail loudly, says the store is down instead
    fail_loudly(wrapped)
    with pytest.raises(StoreUnavailable):
        run(wrapped.retrieve("ann"))
    with pytest.raises(StoreUnavailable):
        run(wrapped.save(conversation("ann")))
