"""Talking to a running stack for bench/voice: the voice channel (multipart WAV
upload), REST, the intent Rasa recognised (read from the stack's SQLite tracker
store), and routine conversations set up mid-hold."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Tuple

from bench.voice.audio import wav_seconds
from bench.voice.corpus import mask_digits
from coach.speech.echo import ECHO_TAIL_SECONDS, playback_seconds
from coach.timings import parse_header
from coach.tools.stack import Stack

ACTIVE = ("running", "paused")
# the routine a command is said in: the knee to chest stretch, first hold (right
# side), long enough that no timed cue or hold end comes during a test
HOLD_SECONDS = 120
SETUP = ('/start_routine{"duration": "%d seconds"}', "/routine_next")
STOP = "/routine_stop"
ROUTINE_KEYS = ("status", "step_index", "side", "hold_seconds")
# the reply guarantee's message when the action server is gone (content/answers.yml)
TROUBLE = "Sorry, something went wrong on my side"


class StackTrouble(RuntimeError):
    """The stack answered, but with its failure message (a server is down)."""


def check_trouble(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    if any(str(m.get("text", "")).startswith(TROUBLE) for m in messages):
        raise StackTrouble("the stack answered with its failure message")
    return messages


@dataclass(frozen=True)
class Reply:
    """What a message did: the intent Rasa gave it, the reply texts, and the
    routine afterwards (status, step_index, side, hold_seconds)."""

    intent: str | None
    texts: Tuple[str, ...]
    routine: Tuple[Any, ...] | None

    @classmethod
    def from_messages(cls, messages: List[Dict[str, Any]], intent: str | None) -> Reply:
        texts = tuple(str(m["text"]) for m in messages if m.get("text"))
        routine = None
        for message in messages:
            state = message.get("routine")
            if isinstance(state, dict):
                routine = tuple(state.get(k) for k in ROUTINE_KEYS)
        return cls(intent, texts, routine)

    @property
    def routine_active(self) -> bool:
        return self.routine is not None and self.routine[0] in ACTIVE

    def same_answer(self, other: Reply) -> bool:
        return self.texts == other.texts

    def same_effect(self, other: Reply) -> bool:
        """The same intent and the same routine status and hold length, when both
        say an intent: a hands-free command is said once the coach has finished,
        later into the hold than its typed reference ("88 seconds left" against
        "118"; "make it 40 seconds" 45 s in ends the hold, and the next side
        begins). Else the same routine state and texts, numbers aside."""
        if self.intent and other.intent:
            mine, theirs = self.routine or (), other.routine or ()
            return self.intent == other.intent and (mine[:1], mine[3:]) == (
                theirs[:1],
                theirs[3:],
            )
        return self.routine == other.routine and [mask_digits(t) for t in self.texts] == [
            mask_digits(t) for t in other.texts
        ]

    def as_dict(self) -> Dict[str, Any]:
        return {"intent": self.intent, "texts": list(self.texts), "routine": self.routine}


@dataclass
class VoiceResult:
    status: str
    transcript: str
    confidence: float | None
    model: str | None
    reply: Reply
    ms: float
    all_audio: bool  # every message came with an audio URL
    detail: str = ""  # why nothing was acted upon
    # acted upon by pausing to check in: why ("hurts", "unclear"; "" otherwise)
    check_in: str = ""
    # the server's own account of its time, per stage (``coach.timings``)
    stages_ms: Dict[str, float] = field(default_factory=dict)

    @property
    def acted(self) -> bool:
        return self.status == "ok"

    def as_dict(self) -> Dict[str, Any]:
        return {
            "status": self.status,
            "transcript": self.transcript,
            "confidence": self.confidence,
            "model": self.model,
            "reply": self.reply.as_dict(),
            "ms": round(self.ms, 1),
            "all_audio": self.all_audio,
            "detail": self.detail,
            "check_in": self.check_in,
        }


def new_sender(kind: str) -> str:
    return f"vb-{kind}-{uuid.uuid4().hex[:12]}"


def multipart(fields: Dict[str, str], audio: bytes) -> Tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: List[bytes] = []
    for name, value in fields.items():
        disposition = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="clip.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n".encode()
        + audio
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Client:
    """One running stack, seen from outside (thread-safe)."""

    def __init__(self, stack: Stack, jobs: int = 2) -> None:
        self.stack = stack
        self.db = stack.workdir / "trackers.db"
        # recordings sent once the coach has finished (``after_the_coach``): many
        # conversations wait at once, ``jobs`` of them speak at once
        self._speaking = threading.BoundedSemaphore(max(1, jobs))
        self._answers: Dict[str, Reply] = {}
        self._effects: Dict[str, Reply] = {}
        self._lock = threading.Lock()

    # -- raw ---------------------------------------------------------------

    def rest(self, sender: str, text: str) -> List[Dict[str, Any]]:
        return check_trouble(self.stack.send(sender, text))

    def last_intent(self, sender: str) -> str | None:
        """The intent of the conversation's latest user message."""
        for attempt in range(5):
            try:
                with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10) as db:
                    row = db.execute(
                        "SELECT intent_name FROM events WHERE sender_id = ? AND type_name = 'user'"
                        " ORDER BY id DESC LIMIT 1",
                        (sender,),
                    ).fetchone()
                return str(row[0]) if row and row[0] else None
            except sqlite3.OperationalError:
                if attempt == 4:
                    raise
                time.sleep(0.2)
        return None

    def voice(self, sender: str, audio: bytes, mode: str) -> VoiceResult:
        body, content_type = multipart({"sender": sender, "mode": mode}, audio)
        request = urllib.request.Request(
            f"{self.stack.url}/webhooks/voice/webhook",
            data=body,
            headers={"Content-Type": content_type},
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                data = json.loads(response.read())
                timing = response.headers.get("Server-Timing") or ""
        except urllib.error.HTTPError as error:
            data = json.loads(error.read() or b"{}")
            timing = error.headers.get("Server-Timing") or ""
        ms = (time.perf_counter() - started) * 1000
        messages = check_trouble(list(data.get("messages") or []))
        status = str(data.get("status"))
        intent = self.last_intent(sender) if status == "ok" else None
        return VoiceResult(
            status=status,
            transcript=str(data.get("transcript") or ""),
            confidence=data.get("confidence"),
            model=data.get("model"),
            reply=Reply.from_messages(messages, intent),
            ms=ms,
            all_audio=bool(messages) and all(m.get("audio_url") for m in messages if m.get("text")),
            detail=str(data.get("detail") or ""),
            check_in=str(data.get("check_in") or ""),
            stages_ms=parse_header(timing),
        )

    # -- conversations -----------------------------------------------------

    def start_hold(self, sender: str, seconds: int = HOLD_SECONDS) -> List[Dict[str, Any]]:
        """A routine in its first hold (right side), ``seconds`` long, timer running;
        returns the messages the coach sent on the way."""
        said = self.rest(sender, SETUP[0] % seconds)
        messages = self.rest(sender, SETUP[1])
        reply = Reply.from_messages(messages, None)
        if reply.routine != ("running", 1, "right", seconds):
            raise StackTrouble(f"could not set up a routine mid-hold: {reply.routine}")
        return said + messages

    def stop_routine(self, sender: str) -> None:
        """Cancel the routine's reminders (so they do not fire later, as load)."""
        self.rest(sender, STOP)

    def typed(self, sender: str, text: str) -> Reply:
        return Reply.from_messages(self.rest(sender, text), self.last_intent(sender))

    def typed_answer(self, text: str) -> Reply:
        """The reply to ``text`` typed in a fresh conversation (cached)."""
        return self._cached(self._answers, text, self._answer)

    def _answer(self, text: str) -> Reply:
        sender = new_sender("typed")
        reply = self.typed(sender, text)
        if reply.routine_active:
            self.stop_routine(sender)
        return reply

    def typed_effect(self, text: str) -> Reply:
        """The reply to ``text`` typed mid-hold in a fresh routine (cached)."""
        return self._cached(self._effects, text, self._effect)

    def _effect(self, text: str) -> Reply:
        sender = new_sender("typed-hold")
        self.start_hold(sender)
        reply = self.typed(sender, text)
        self.stop_routine(sender)
        return reply

    def _cached(self, cache: Dict[str, Reply], text: str, make: Callable[[str], Reply]) -> Reply:
        with self._lock:
            if text in cache:
                return cache[text]
        reply = make(text)
        with self._lock:
            cache[text] = reply
        return reply

    # -- voice in context ------------------------------------------------------

    def voice_fresh(self, audio: bytes, mode: str = "question") -> VoiceResult:
        """A recording in a fresh conversation (no routine)."""
        sender = new_sender("voice")
        result = self.voice(sender, audio, mode)
        if result.reply.routine_active:
            self.stop_routine(sender)
        return result

    def voice_mid_hold(self, audio: bytes, mode: str) -> VoiceResult:
        """A recording in a fresh routine, mid-hold: hands-free, said once the
        coach has finished (``after_the_coach``); barge-in, over it."""
        sender = new_sender("voice-hold")
        said = self.start_hold(sender)
        if mode == "hands_free":
            result = self.after_the_coach(sender, said, audio)
        else:
            result = self.voice(sender, audio, mode)
        self.stop_routine(sender)
        return result

    def after_the_coach(self, sender: str, said: List[Dict[str, Any]], audio: bytes) -> VoiceResult:
        """A hands-free recording that begins once what the coach ``said`` has
        been spoken and its echo is over, as the widget sends it (what is said
        over the coach goes as barge-in): the server's own estimate of how long
        it is heard (``coach.speech.echo``), then the recording's length."""
        spoken = [str(m.get("spoken") or m.get("text") or "") for m in said]
        wait = sum(playback_seconds(s) for s in spoken) + ECHO_TAIL_SECONDS + 0.3
        time.sleep(wait + wav_seconds(audio))
        with self._speaking:
            return self.voice(sender, audio, "hands_free")


class HoldPool:
    """Routine conversations mid-hold, each reused until something is acted upon
    (for recordings that should change nothing: echo, chatter, noise), and for at
    most ``max_age`` seconds (before the first timed cue of the hold)."""

    def __init__(self, client: Client, max_age: float = HOLD_SECONDS / 2 - 10) -> None:
        self.client = client
        self.max_age = max_age
        self._free: List[Tuple[str, float]] = []
        self._lock = threading.Lock()

    def voice(self, audio: bytes, mode: str) -> VoiceResult:
        with self._lock:
            sender, started = self._free.pop() if self._free else ("", 0.0)
        if sender and time.monotonic() - started > self.max_age:
            self.client.stop_routine(sender)
            sender = ""
        if not sender:
            sender, started = new_sender("voice-pool"), time.monotonic()
            self.client.start_hold(sender)
        result = self.client.voice(sender, audio, mode)
        if result.acted:
            self.client.stop_routine(sender)
        else:
            with self._lock:
                self._free.append((sender, started))
        return result

    def close(self) -> None:
        with self._lock:
            senders, self._free = self._free, []
        for sender, _ in senders:
            self.client.stop_routine(sender)
