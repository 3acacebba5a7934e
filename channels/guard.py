"""What every reply goes through on its way out, whatever the channel.

- **Never silent.** Every user message in this assistant gets at least one bot
  message. When none was sent, something failed on the way (the action server is
  down or crashed, an action raised): the user is told so plainly.
- **Spoken.** Every text message carries its short ``spoken`` form and the URL of
  its audio (``audio_url``, served by ``channels.audio``); synthesis runs in a
  worker thread, never on the server's event loop, and a dead engine only means
  a message without audio.
- **Whole.** A message goes out as one JSON object with its metadata (``spoken``,
  ``audio_url``, ``routine``), instead of Rasa's default of splitting paragraphs
  into separate messages and dropping the metadata.
- **Never from a blank conversation.** A tracker or lock store that cannot be
  reached (PostgreSQL or Redis restarting) gets "I can't reach my notes, try
  again", not an answer from a blank conversation (``stores.tracker_store``).
- **No forged commands.** A typed ``/intent{...}`` that a person may not send
  (a forged timed cue, an unknown intent: ``coach.payloads``) is refused with
  a clear message and never reaches the conversation.
- **Compatible.** Over socket.io, that rich form only goes to clients that asked
  for it (``"rich": true`` in ``session_request``, as our widget does); other
  clients, such as an unmodified rasa-webchat, get Rasa's stock form (``text``,
  and ``quick_replies`` for buttons, nothing else), which they require to the
  key. Each socket waits in the room ``<session>:rich`` or ``<session>:plain``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOOutput
from rasa.core.lock_store import LockError
from redis.exceptions import RedisError
from sanic import Blueprint

from channels import action_results
from coach.services import Services, process_services
from coach.speech.tts.base import SpeechError
from coach.text.input_checks import clean_conversation_id, text_to_read
from coach.text.spoken import plain_text
from coach.timings import stage
from stores.tracker_store import StoreUnavailable, fail_loudly

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
AUDIO_ROUTE = "/webhooks/audio/files/"
NON_TEXT_KEYS = ("image", "attachment", "custom", "elements")


async def audio_url_for(spoken: str, services: Services | None = None) -> str | None:
    """URL of the audio for ``spoken``, synthesized off the event loop (None if
    impossible, or when ``PSOAS_SPEECH`` is off)."""
    services = services or process_services()
    if not spoken or not services.settings.speech_enabled:
        return None
    try:
        with stage("tts"):
            cached = await asyncio.to_thread(services.speech.speak, spoken)
    except (SpeechError, OSError):
        logger.debug("no audio for a message", exc_info=True)
        return None
    return f"{services.settings.public_url}{AUDIO_ROUTE}{cached.name}"


RICH_ROOM, PLAIN_ROOM = ":rich", ":plain"


def rich_room(session_id: str) -> str:
    return f"{session_id}{RICH_ROOM}"


def plain_room(session_id: str) -> str:
    return f"{session_id}{PLAIN_ROOM}"


def socketio_form(message: Dict[str, Any]) -> Dict[str, Any]:
    """A whole message for clients that asked for the rich form: buttons as
    socket.io's ``quick_replies``, plus ``spoken``, ``audio_url``, ``routine``."""
    out = {k: v for k, v in message.items() if k not in ("buttons", "recipient_id")}
    buttons = message.get("buttons") or message.get("quick_replies")
    if buttons:
        out["quick_replies"] = [
            {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in buttons
        ]
    return out


def stock_form(message: Dict[str, Any]) -> Dict[str, Any]:
    """The same message as Rasa's own socket.io channel sends it: ``text`` alone,
    or ``text`` and ``quick_replies``."""
    rich = socketio_form(message)
    out: Dict[str, Any] = {"text": rich.get("text", "")}
    if rich.get("quick_replies"):
        out["quick_replies"] = rich["quick_replies"]
    return out


async def emit_to_session(output: SocketIOOutput, session_id: str, message: Dict[str, Any]) -> None:
    """Emit a whole message to every socket of a session, in the form each asked for."""
    rooms = output.sio.manager.rooms.get("/", {})
    rich, plain = rich_room(session_id), plain_room(session_id)
    if rich not in rooms and plain not in rooms:
        # sockets that never sent a session_request (or no session persistence)
        await output._send_message(session_id, socketio_form(message))
        return
    if rich in rooms:
        await output._send_message(rich, socketio_form(message))
    if plain in rooms:
        await output._send_message(plain, stock_form(message))


class CoachOutputChannel(OutputChannel):
    """Wraps the channel Rasa created for a message: counts, speaks, keeps metadata."""

    def __init__(self, inner: OutputChannel, services: Services) -> None:
        self.inner = inner
        self.services = services
        self.sent = 0

    def name(self) -> str:
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.sent += 1
        text = message.get("text")
        if not text or not isinstance(self.inner, (CollectingOutputChannel, SocketIOOutput)):
            await self.inner.send_response(recipient_id, message)
            return
        spoken = str(message.get("spoken") or plain_text(text))
        self.services.echo.add(recipient_id, spoken)  # the voice channel's echo guard
        whole: Dict[str, Any] = {"text": text, "spoken": spoken}
        for key in ("routine", "forgotten"):
            if key in message:
                whole[key] = message[key]
        audio_url = await audio_url_for(spoken, self.services)
        if audio_url:
            whole["audio_url"] = audio_url
        buttons = message.get("buttons") or message.get("quick_replies")
        if buttons:
            whole["buttons"] = buttons
        if isinstance(self.inner, SocketIOOutput):
            await emit_to_session(self.inner, recipient_id, whole)
        else:
            await self.inner._persist_message({"recipient_id": recipient_id, **whole})
        rest = {k: v for k, v in message.items() if k in NON_TEXT_KEYS}
        if any(rest.values()):
            await self.inner.send_response(recipient_id, rest)


def reply_even_on_failure(
    on_new_message: OnNewMessage, services: Services | None = None
) -> OnNewMessage:
    """Wraps Rasa's message handler: replies go through ``CoachOutputChannel``,
    and a message that got no reply at all gets a clear one. (Every channel
    calls this while the server starts: it also gives Rasa the action response
    validator that is built once, ``channels.action_results``.)"""
    action_results.install()

    async def handle(message: UserMessage) -> None:
        used = services or process_services()
        # whatever the channel: an id the store can write, a text the NLU can afford
        message.sender_id = (
            clean_conversation_id(message.sender_id) or f"anonymous-{uuid.uuid4().hex}"
        )
        message.text = text_to_read(message.text)
        output = CoachOutputChannel(message.output_channel, used)
        message.output_channel = output
        refused = used.payloads.refusal(message.text)
        if refused:
            logger.warning("refused a typed command from %s: %s", message.sender_id, refused)
            await say(output, message.sender_id, used, "forged_command")
            return
        try:
            await on_new_message(message)
        except (StoreUnavailable, LockError, RedisError) as error:
            logger.error("no store for %s: %s", message.sender_id, error)
            await say(output, message.sender_id, used, "store_unavailable")
            return
        except Exception:
            logger.exception("handling a message from %s failed", message.sender_id)
        # an external event sent by a client (a reconnect with no routine running)
        # may rightly get no reply
        external = str(message.text or "").startswith("/EXTERNAL_")
        if output.sent == 0 and not external:
            logger.warning("no reply to %s: telling them something went wrong", message.sender_id)
            await say(output, message.sender_id, used, "trouble")

    return handle


async def say(output: OutputChannel, sender: str | None, services: Services, name: str) -> None:
    """Sends the content's message ``name`` (text and spoken form)."""
    reply = services.content.message(name).reply
    await output.send_response(sender or "", {"text": reply.text, "spoken": reply.spoken})


def guard_the_store(blueprint: Blueprint) -> None:
    """Once Rasa has loaded its agent, store failures raise instead of handing
    the message a blank conversation (``stores.tracker_store.fail_loudly``)."""

    @blueprint.listener("after_server_start")
    async def store_failures_raise(app: Any, loop: Any) -> None:
        agent = getattr(app.ctx, "agent", None)
        if agent is not None:
            fail_loudly(agent.tracker_store)
