"""Content store: answers derived from the psoas guide, kept in ``content/``.

The store is an interface so that actions never read files themselves; the YAML
implementation loads lazily on first use (never at import time).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping

import yaml

from coach.settings import DEFAULT_CONTENT_DIR

ANSWERS_FILE = "answers.yml"


@dataclass(frozen=True)
class Reply:
    """One answer in its two forms: short for the voice, fuller for the screen."""

    spoken: str
    text: str

    def format(self, **values: Any) -> Reply:
        """The reply with ``{name}`` placeholders filled in."""
        return Reply(spoken=self.spoken.format(**values), text=self.text.format(**values))

    def joined(self, other: Reply) -> Reply:
        """This reply followed by another, as one message."""
        return Reply(spoken=f"{self.spoken} {other.spoken}", text=f"{self.text}\n\n{other.text}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> Reply:
        try:
            spoken, text = str(data["spoken"]).strip(), str(data["text"]).strip()
        except (KeyError, TypeError) as exc:
            raise ContentError(f"{where}: needs both 'spoken' and 'text'") from exc
        if not spoken or not text:
            raise ContentError(f"{where}: 'spoken' and 'text' must not be empty")
        return cls(spoken=spoken, text=text)


@dataclass(frozen=True)
class Suggestion:
    """A quick reply shown after an answer."""

    title: str
    payload: str

    def as_button(self) -> Dict[str, str]:
        return {"title": self.title, "payload": self.payload}


@dataclass(frozen=True)
class Topic:
    """A part of the guide, with the replies to the follow-ups it supports."""

    id: str
    intents: List[str]
    answer: Reply
    more: Reply | None = None
    how_long: Reply | None = None
    other_side: Reply | None = None
    suggestions: List[Suggestion] = field(default_factory=list)


@dataclass(frozen=True)
class Message:
    """Something an action says that is not guide content ("please rephrase")."""

    reply: Reply
    suggestions: List[Suggestion] = field(default_factory=list)


class ContentError(ValueError):
    """The content files are malformed."""


class ContentStore(ABC):
    """Where answers come from."""

    @abstractmethod
    def topic(self, topic_id: str) -> Topic | None:
        """The topic with this id, if any."""

    @abstractmethod
    def topic_for_intent(self, intent: str) -> Topic | None:
        """The topic that answers this intent, if any."""

    @abstractmethod
    def default(self, follow_up: str) -> Reply:
        """The reply to a follow-up (``more``, ``other_side``) with no topic-specific one."""

    @abstractmethod
    def message(self, name: str) -> Message:
        """A named message from the ``messages`` section."""

    @abstractmethod
    def duration_note(self, kind: str) -> Reply:
        """The note for a hold the user named: ``longer``, ``shorter`` or ``same``."""

    @property
    @abstractmethod
    def disclaimer(self) -> Reply:
        """The short disclaimer given once per conversation."""


class YamlContentStore(ContentStore):
    """Content read from ``answers.yml`` and validated once, on first use."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path or DEFAULT_CONTENT_DIR / ANSWERS_FILE
        self._lock = threading.Lock()
        self._topics: Dict[str, Topic] | None = None
        self._by_intent: Dict[str, Topic] = {}
        self._defaults: Dict[str, Reply] = {}
        self._disclaimer: Reply | None = None
        self._duration_notes: Dict[str, Reply] = {}
        self._messages: Dict[str, Message] = {}

    def _load(self) -> Dict[str, Topic]:
        with self._lock:
            if self._topics is not None:
                return self._topics
            with open(self._path, encoding="utf-8") as handle:
                raw = yaml.safe_load(handle) or {}
            self._disclaimer = Reply.from_dict(raw.get("disclaimer") or {}, "disclaimer")
            self._defaults = {
                name: Reply.from_dict(value, f"defaults.{name}")
                for name, value in (raw.get("defaults") or {}).items()
            }
            self._duration_notes = {
                name: Reply.from_dict(value, f"duration_notes.{name}")
                for name, value in (raw.get("duration_notes") or {}).items()
            }
            self._messages = {
                name: Message(
                    reply=Reply.from_dict(value, f"messages.{name}"),
                    suggestions=_suggestions(value),
                )
                for name, value in (raw.get("messages") or {}).items()
            }
            topics: Dict[str, Topic] = {}
            by_intent: Dict[str, Topic] = {}
            for topic_id, data in (raw.get("topics") or {}).items():
                topic = _parse_topic(topic_id, data)
                topics[topic_id] = topic
                for intent in topic.intents:
                    if intent in by_intent:
                        raise ContentError(
                            f"intent {intent} is answered by both "
                            f"{by_intent[intent].id} and {topic_id}"
                        )
                    by_intent[intent] = topic
            self._by_intent = by_intent
            self._topics = topics
            return topics

    @property
    def topics(self) -> Dict[str, Topic]:
        return dict(self._load())

    def topic(self, topic_id: str) -> Topic | None:
        return self._load().get(topic_id)

    def topic_for_intent(self, intent: str) -> Topic | None:
        self._load()
        return self._by_intent.get(intent)

    def default(self, follow_up: str) -> Reply:
        self._load()
        try:
            return self._defaults[follow_up]
        except KeyError as exc:
            raise ContentError(f"no default reply for {follow_up!r}") from exc

    def message(self, name: str) -> Message:
        self._load()
        try:
            return self._messages[name]
        except KeyError as exc:
            raise ContentError(f"no message {name!r}") from exc

    def duration_note(self, kind: str) -> Reply:
        self._load()
        try:
            return self._duration_notes[kind]
        except KeyError as exc:
            raise ContentError(f"no duration note {kind!r}") from exc

    @property
    def disclaimer(self) -> Reply:
        self._load()
        assert self._disclaimer is not None
        return self._disclaimer


def _parse_topic(topic_id: str, data: Mapping[str, Any]) -> Topic:
    if not isinstance(data, Mapping):
        raise ContentError(f"topic {topic_id} must be a mapping")
    intents = [str(i) for i in data.get("intents") or []]
    if not intents:
        raise ContentError(f"topic {topic_id} names no intents")

    def optional(key: str) -> Reply | None:
        value = data.get(key)
        return Reply.from_dict(value, f"{topic_id}.{key}") if value else None

    return Topic(
        id=topic_id,
        intents=intents,
        answer=Reply.from_dict(data.get("answer") or {}, f"{topic_id}.answer"),
        more=optional("more"),
        how_long=optional("how_long"),
        other_side=optional("other_side"),
        suggestions=_suggestions(data),
    )


def _suggestions(data: Mapping[str, Any]) -> List[Suggestion]:
    return [
        Suggestion(title=str(s["title"]), payload=str(s["payload"]))
        for s in data.get("suggestions") or []
    ]
