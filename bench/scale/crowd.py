"""Open-loop users in the shape of real use, over REST and socket.io.

Each user sends a message every ``period`` s (with jitter), whatever the
others do; latency counts from when the message was due, so a server that falls
behind is charged for the wait (no coordinated omission). A user waits for its
reply before its next message, as a person would. Three kinds:

- REST users type a conversation over ``/webhooks/rest/webhook``;
- socket.io users type the same conversation over socket.io (the reply's first
  message is its latency; the reply is whole once 100 ms pass without more);
- routine users (socket.io) ask for short holds, start the knee to chest
  stretch, and follow its cues to the end, then start again after ``period``;
  their cues are judged by ``follower.cue_report``.

With ``turns``, a user starts a new conversation after that many messages
(a routine user, one for each routine), as a stream of visitors would; else
each user keeps one conversation for the whole run (Rasa reads and replays a
conversation's whole session for every message: it costs more as it grows).
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence

from bench.scale.follower import CueReport, Follower, cue_report, routine_ended

TRY_AGAIN = "try again"
REPLY_TIMEOUT = 30.0
START_ROUTINE = "guide me through the psoas stretch"
STOP_ROUTINE = "stop"


@dataclass
class Sample:
    due: float  # epoch s
    latency_ms: float
    channel: str  # rest, socketio
    outcome: str  # ok, try_again, http_<code>, error, no_reply
    sender: str


@dataclass
class Mix:
    rest: int
    socketio: int
    routines: int  # of the socket.io users

    @classmethod
    def of(cls, users: int, rest_only: bool = False) -> Mix:
        """Half REST, half socket.io, a quarter of socket.io users in routines."""
        if rest_only:
            return cls(users, 0, 0)
        sio = users // 2
        return cls(users - sio, sio, max(1, sio // 4) if sio else 0)


def sender_id(kind: str) -> str:
    return f"scale-{kind}-{uuid.uuid4().hex[:10]}"


def post(
    url: str, sender: str, text: str, headers: Dict[str, str] | None = None, timeout: float = 30
) -> tuple[int, List[Dict[str, Any]]]:
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        # the balancer's own answer when no replica could give one (a 502 that
        # says "try again" in REST's shape), or any other error body
        try:
            body = json.loads(error.read())
        except ValueError:
            body = []
        return error.code, body if isinstance(body, list) else []


def texts(messages: Sequence[Dict[str, Any]]) -> str:
    return " ".join(str(m.get("text", "")) for m in messages)


def outcome_of(reply: str, status: int = 200) -> str:
    """ok, try_again, or for an HTTP error http_<code> (http_<code>_try_again
    when its body says "try again", which counts as "try again")."""
    told = TRY_AGAIN in reply.lower()
    if status == 200:
        return "try_again" if told else "ok"
    return f"http_{status}_try_again" if told else f"http_{status}"


def told_to_try_again(outcome: str) -> bool:
    return outcome.endswith("try_again")


@dataclass
class Crowd:
    """``mix`` users on ``url`` for ``seconds``; every message a ``Sample``."""

    url: str
    conversation: List[str]
    mix: Mix
    period: float = 3.0
    hold: int = 10
    turns: int = 0  # a new conversation after this many messages (0: one per user)
    samples: List[Sample] = field(default_factory=list)
    cues: CueReport = field(default_factory=CueReport)
    routines_started: int = 0
    routines_finished: int = 0
    connect_errors: int = 0
    started_at: float = 0.0  # when the first user's first message was due
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, sample: Sample) -> None:
        with self._lock:
            self.samples.append(sample)

    def run(self, seconds: float, start_in: float = 1.0) -> None:
        followers = self._connect(self.mix.socketio)
        users = self.mix.rest + len(followers)
        start = self.started_at = time.time() + start_in
        stop_at = start + seconds
        try:
            with ThreadPoolExecutor(max(users, 1)) as pool:
                futures = []
                for index in range(users):
                    due = start + self.period * index / max(users, 1)
                    if index < self.mix.rest:
                        futures.append(pool.submit(self._rest_user, due, stop_at))
                        continue
                    follower = followers[index - self.mix.rest]
                    routine = index - self.mix.rest < self.mix.routines
                    user = self._routine_user if routine else self._socket_user
                    futures.append(pool.submit(user, follower, due, stop_at))
                for future in futures:
                    future.result()
        finally:
            ended = time.time()
            for follower in followers:
                follower.close()
        for follower in followers[: self.mix.routines]:
            self.cues.add(cue_report(follower, ended))

    def _connect(self, count: int) -> List[Follower]:
        def one(_: int) -> Follower | None:
            try:
                return Follower(self.url, sender_id("sio"))
            except Exception:  # counted, the run goes on
                with self._lock:
                    self.connect_errors += 1
                return None

        with ThreadPoolExecutor(8) as pool:
            return [f for f in pool.map(one, range(count)) if f is not None]

    def _new_conversation(self, turn: int) -> bool:
        return bool(self.turns and turn and turn % self.turns == 0)

    def _jitter(self, rng: random.Random) -> float:
        return self.period * rng.uniform(0.8, 1.2)

    def _rest_user(self, due: float, stop_at: float) -> None:
        sender = sender_id("rest")
        rng = random.Random(sender)
        turn = 0
        while due < stop_at:
            _sleep_until(due)
            if self._new_conversation(turn):
                sender = sender_id("rest")
            text = self.conversation[turn % len(self.conversation)]
            try:
                status, reply = post(self.url, sender, text, timeout=REPLY_TIMEOUT)
                outcome = outcome_of(texts(reply), status)
            except OSError:
                outcome = "error"
            self.record(Sample(due, (time.time() - due) * 1000, "rest", outcome, sender))
            turn += 1
            due += self._jitter(rng)

    def _ask(self, follower: Follower, text: str, due: float) -> str:
        mark = follower.say(text)
        got = follower.reply(mark, REPLY_TIMEOUT)
        if got is None:
            outcome = "no_reply"
            latency = (time.time() - due) * 1000
        else:
            outcome = outcome_of(" ".join(follower.texts_since(mark)))
            latency = (got[0] - due) * 1000
        self.record(Sample(due, latency, "socketio", outcome, follower.session_id))
        return outcome

    def _socket_user(self, follower: Follower, due: float, stop_at: float) -> None:
        rng = random.Random(follower.session_id)
        turn = 0
        while due < stop_at and follower.connected:
            _sleep_until(due)
            if self._new_conversation(turn):
                follower.switch(sender_id("sio"))
            self._ask(follower, self.conversation[turn % len(self.conversation)], due)
            turn += 1
            due += self._jitter(rng)

    def _routine_user(self, follower: Follower, due: float, stop_at: float) -> None:
        """Short holds, the stretch, its cues to the end; again after ``period``."""
        rng = random.Random(follower.session_id)
        routines = 0
        while due < stop_at and follower.connected:
            _sleep_until(due)
            if self.turns and routines:  # a new conversation for each routine
                follower.switch(sender_id("sio"))
            routines += 1
            self._ask(follower, f"make it {self.hold} seconds", due)
            began = time.time()
            mark = follower.mark()
            if self._ask(follower, START_ROUTINE, began) != "ok":
                due = time.time() + self._jitter(rng)
                continue
            with self._lock:
                self.routines_started += 1
            # setup (8 s) and two holds, plus room for a server that falls behind;
            # at the end of the run, a routine still going is stopped as a person would
            limit = min(8 + 2 * self.hold + REPLY_TIMEOUT, max(0.0, stop_at - time.time()))
            ended = follower.wait_for(routine_ended, limit, mark)
            if ended is None:
                if follower.connected:
                    self._ask(follower, STOP_ROUTINE, time.time())
                return
            with self._lock:
                self.routines_finished += 1
            due = ended[0] + self._jitter(rng)


def _sleep_until(moment: float) -> None:
    wait = moment - time.time()
    if wait > 0:
        time.sleep(wait)
