"""Rasa's SQL tracker store, made safe for health conversations on one machine or many.

The same table and queries as Rasa's ``SQLTrackerStore`` (SQLite by default,
PostgreSQL in the production profile), plus:

- **Outages are ridden out, then said.** A database that cannot be reached
  (PostgreSQL restarting, a dropped connection) is retried for
  ``PSOAS_STORE_RETRY_SECONDS``; after that the store raises
  ``StoreUnavailable``. Rasa wraps every store in a ``FailSafeTrackerStore``
  that would instead hand the message a blank conversation and keep its events
  in memory, where they are lost: ``fail_loudly`` (installed by the channels
  when the server starts) makes it raise, and the channel's guard answers
  "try again" (``channels.guard``). Saving is idempotent (Rasa appends the
  events the database does not have yet, counted), so a retry never writes an
  event twice.
- **"Delete my conversation."** When a turn ends with the forget action
  (``coach.intents.FORGET_ACTION``), every event of the conversation is deleted
  instead of saved.
- **Retention.** Conversations idle for longer than ``PSOAS_RETENTION_DAYS``
  are deleted: one read finds its own expired, and a sweep runs at most hourly
  on save.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, TypeVar

import sqlalchemy as sa
import sqlalchemy.exc
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from coach.intents import FORGET_ACTION
from coach.services import process_services

logger = logging.getLogger(__name__)

T = TypeVar("T")
# what a database that went away raises (a restart, a dropped connection)
UNREACHABLE = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)
SWEEP_EVERY_SECONDS = 3600.0
DAY = 86400.0


class StoreUnavailable(RuntimeError):
    """The tracker store could not be reached within the retry time."""


def forgotten(tracker: DialogueStateTracker) -> bool:
    """Whether the turn that just ended ran the forget action."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted) and event.action_name == FORGET_ACTION:
            return True
    return False


class CoachTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` with retries, forgetting and retention (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = process_services().settings
        self.retry_seconds = settings.store_retry_seconds
        self.retention_seconds = settings.retention_days * DAY
        self._next_sweep = 0.0

    async def _retrying(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.1
        while True:
            try:
                return await call()
            except UNREACHABLE as error:
                if time.monotonic() + delay > deadline:
                    raise StoreUnavailable(f"{what}: the tracker store is unreachable") from error
                logger.warning("%s: tracker store unreachable, retrying: %s", what, error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        tracker = await self._retrying(
            "retrieve", lambda: super(CoachTrackerStore, self).retrieve(sender_id)
        )
        if tracker is not None and self._expired(tracker):
            logger.info("conversation idle past the retention time: deleted")
            await self._retrying("expire", lambda: self._delete(sender_id))
            return None
        return tracker

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        return await self._retrying(
            "retrieve",
            lambda: super(CoachTrackerStore, self).retrieve_full_tracker(conversation_id),
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        if forgotten(tracker):
            await self._retrying("forget", lambda: self._delete(tracker.sender_id))
            logger.info("a conversation was deleted at its user's request")
            return
        await self._retrying("save", lambda: super(CoachTrackerStore, self).save(tracker))
        if self.retention_seconds and time.monotonic() >= self._next_sweep:
            self._next_sweep = time.monotonic() + SWEEP_EVERY_SECONDS
            try:
                await self.sweep()
            except UNREACHABLE:
                logger.warning("retention sweep failed; next try in an hour", exc_info=True)

    def _expired(self, tracker: DialogueStateTracker) -> bool:
        if not self.retention_seconds or not tracker.events:
            return False
        return tracker.events[-1].timestamp < time.time() - self.retention_seconds

    async def _delete(self, sender_id: str) -> None:
        with self.session_scope() as session:
            session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete(
                synchronize_session=False
            )
            session.commit()

    async def sweep(self, now: float | None = None) -> int:
        """Deletes every conversation idle past the retention time; returns how many."""
        if not self.retention_seconds:
            return 0
        cutoff = (time.time() if now is None else now) - self.retention_seconds
        event = self.SQLEvent
        with self.session_scope() as session:
            stale = [
                sender
                for (sender,) in session.query(event.sender_id)
                .group_by(event.sender_id)
                .having(sa.func.max(event.timestamp) < cutoff)
                .all()
            ]
            for start in range(0, len(stale), 500):
                session.query(event).filter(event.sender_id.in_(stale[start : start + 500])).delete(
                    synchronize_session=False
                )
            session.commit()
        if stale:
            logger.info("retention: deleted %d idle conversation(s)", len(stale))
        return len(stale)


def _raise(error: Exception) -> None:
    raise StoreUnavailable("the tracker store failed") from error


def fail_loudly(store: Any) -> None:
    """Makes Rasa's ``FailSafeTrackerStore`` raise instead of answering from a
    blank conversation and keeping events in memory (see the module)."""
    if isinstance(store, FailSafeTrackerStore):
        # the wrapper's own hook for store errors, which Rasa leaves unset
        store._on_tracker_store_error = _raise
