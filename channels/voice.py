"""The voice channel: ``POST /webhooks/voice/webhook`` with a recording, get the reply.

A thin Sanic adapter: it reads the request (``channels.voice_request``),
decodes the audio, asks the listening policy (``coach.speech.listening``:
which models, the NLU's check, pausing to check in, the echo guard) what the
recording means, sends what is acted upon to the conversation and shapes the
JSON reply.

Request: ``multipart/form-data`` with ``sender`` (the conversation; the web
widget sends its socket.io session id) and ``audio`` (WAV of any rate, or
WebM/OGG/MP4/MP3/FLAC as browsers record it), and optionally ``mode``:

* ``question`` (the default; push-to-talk): anything the assistant knows.
* ``hands_free`` (continuous listening): routine commands and red flags only.
* ``barge_in`` (heard while the coach itself was speaking): only "stop",
  "pause" and pain words, so that the coach's own voice never drives the routine.

A raw audio body (``Content-Type: audio/wav``, ``?sender=...&mode=...``) works
too, for scripts and curl.

Response (JSON, always): ``status``, ``transcript`` (what was acted upon; empty
otherwise), ``confidence``, ``model``, ``recipient_id``, ``messages`` (the
replies, each with ``text``, ``spoken``, ``audio_url`` and, in a routine,
``routine``), ``detail`` when nothing was acted upon, and ``check_in``
(``hurts``, ``unclear``) when a hold was paused to check in; the
``Server-Timing`` header says where the time went, per stage
(``coach.timings``). Statuses:

| status | HTTP | meaning |
|---|---|---|
| ok | 200 | understood and answered |
| no_speech | 200 | silence or noise: nothing was said |
| not_understood | 200 | speech, but not confidently what the assistant knows |
| missing_audio | 400 | no ``audio`` field |
| too_large, too_long | 413 | over the upload size or duration cap |
| unsupported_type | 415 | not an audio upload |
| unreadable_audio | 422 | corrupt or not audio after all |
| recognizer_unavailable | 503 | the speech recogniser is down or busy (type instead) |

Every status but ``ok`` comes with one "I didn't catch that" message (spoken,
with audio), and nothing reaches the conversation. Audio decoding and
recognition run in subprocesses and synthesis in a thread: the server's event
loop never waits on them.

Replies go back in the HTTP response; later ones (a routine's timed cues) go to
the conversation's socket.io session, where the widget listens (``VoiceOutputChannel``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.access import limit_per_client, require_token, token_subject
from channels.guard import OnNewMessage, audio_url_for, reply_even_on_failure
from channels.voice_request import VoiceRequest, clean_sender, parse_request, read_body
from channels.voice_result import (  # noqa: F401 - the statuses, as the channel's own
    HTTP_STATUS,
    MISSING_AUDIO,
    NOT_SIGNED_IN,
    NOT_UNDERSTOOD,
    OK,
    RECOGNIZER_UNAVAILABLE,
    REFUSAL_STATUS,
    SLOW_DOWN,
    STATUS_MESSAGE,
    VoiceResult,
)
from coach.routine.model import RoutineState
from coach.services import Services, process_services
from coach.sessions import LiveSessions
from coach.speech.asr.audio_input import (
    MAX_SECONDS,
    NO_SPEECH,
    AudioProblem,
    decode_upload,
    is_silent,
)
from coach.speech.asr.base import Recognition, RecognitionError
from coach.speech.heard import UNREAD, CheckIn, Outcome, Reading, Verdict
from coach.speech.listening import IDLE, ReadFn, RecognizeFn, listen, read_nothing
from coach.timings import Timings, collecting, stage

logger = logging.getLogger(__name__)

# what the coach says before the conversation's "Paused", per reason to check in
CHECK_IN_MESSAGE = {
    CheckIn.HURTS: "voice_doubted_red_flag",
    CheckIn.UNCLEAR: "voice_unclear_check_in",
}


class VoiceOutputChannel(CollectingOutputChannel):
    """Collects the replies to one voice request; once the response has gone
    (``detach``), forwards later ones to the conversation's socket.io session."""

    def __init__(self, sessions: LiveSessions) -> None:
        super().__init__()
        self.sessions = sessions
        self.collecting = True

    @classmethod
    def name(cls) -> str:
        return "voice"

    def detach(self) -> None:
        self.collecting = False

    async def _persist_message(self, message: Dict[str, Any]) -> None:
        if self.collecting:
            self.messages.append(message)
            return
        recipient = str(message.get("recipient_id") or "")
        if not await self.sessions.send(recipient, message):
            logger.debug("a later reply to %s had no socket.io session to go to", recipient)


# the conversation's routine status ("running", "paused"; "idle" when none)
RoutineStatusFn = Callable[[str], Awaitable[str]]


class VoiceHandler:
    """What the route does, apart from HTTP (tested on its own).

    ``services``: the conversation's shared objects (the echo memory, the live
    sessions, the content, speech out); the process's when not given."""

    def __init__(
        self,
        on_new_message: OnNewMessage,
        recognize: RecognizeFn,
        routine_status: RoutineStatusFn,
        services: Services | None = None,
        read_intent: ReadFn = read_nothing,
    ) -> None:
        self.on_new_message = on_new_message
        self.recognize = recognize
        self.routine_status = routine_status
        self.services = services or process_services()
        self.read_intent = read_intent

    async def handle(self, request: VoiceRequest) -> VoiceResult:
        """The result of one request, with where its time went (``timings``:
        decoding, the routine's status, each model's recognition, the NLU, the
        conversation with the synthesis of its replies, ``tts`` on its own)."""
        timings = Timings()
        with collecting(timings), timings.measure("total"):
            result = await self._handle(request, timings)
        result.timings = timings
        return result

    async def _handle(self, request: VoiceRequest, timings: Timings) -> VoiceResult:
        sender = request.sender
        arrived = time.monotonic()
        if not request.audio:
            return await self.refuse(sender, MISSING_AUDIO, "no audio in the request")
        try:
            with timings.measure("decode"):
                pcm = await decode_upload(request.audio, request.audio_type)
            if is_silent(pcm):
                raise AudioProblem(NO_SPEECH, "the recording is silent")
        except AudioProblem as problem:
            return await self.refuse(sender, problem.status, problem.detail)

        async def status() -> str:
            with timings.measure("status"):
                return await self.routine_status(sender)

        async def recognize(samples: bytes, model: str) -> Recognition:
            with timings.measure(f"asr_{model}"):
                return await self.recognize(samples, model)

        async def read(text: str) -> Reading:
            with timings.measure("nlu"):
                return await self.read_intent(text)

        began = arrived - pcm.seconds  # an echo of the coach: playing by then

        def echoes(transcript: str) -> bool:
            return self.services.echo.echoes(sender, transcript, now=began)

        try:
            outcome = await listen(
                pcm.samples,
                request.mode,
                status,
                recognize,
                read,
                echoes,
                self.services.pain_check,
            )
        except RecognitionError as exc:
            logger.error("speech recognition failed: %s", exc)
            return await self.refuse(sender, RECOGNIZER_UNAVAILABLE, "speech recognition failed")
        if not outcome.acted:
            return await self.refuse(
                sender,
                REFUSAL_STATUS[outcome.verdict],
                outcome.detail,
                outcome.recognition,
                outcome.confidence,
            )
        return await self.act(sender, request.mode, outcome)

    async def act(self, sender: str, mode: str, outcome: Outcome) -> VoiceResult:
        """Sends what the policy acts upon to the conversation; its replies so far
        come back in the response."""
        recognition = outcome.recognition
        # why it pauses to check in (None: it acts on what was said)
        why = (outcome.check_in or CheckIn.HURTS) if outcome.verdict is Verdict.CHECK_IN else None
        metadata: Dict[str, Any] = {
            "confidence": recognition.confidence,
            "model": recognition.model,
            "mode": mode,
        }
        if why:
            metadata.update(doubted_red_flag=why is CheckIn.HURTS, check_in=why.value)
        parse = outcome.reading.parse if outcome.reading else None
        output = VoiceOutputChannel(self.services.sessions)
        message = UserMessage(
            outcome.text,
            output,
            sender,
            parse_data=dict(parse) if parse else None,  # read once, not parsed again
            input_channel="voice",
            metadata={"voice": metadata},
        )
        try:
            with stage("conversation"):
                await self.on_new_message(message)
        finally:
            output.detach()
        messages = [{k: v for k, v in m.items() if k != "recipient_id"} for m in output.messages]
        if why:  # why it paused, and what to do, before "Paused"
            messages.insert(0, await self.content_message(CHECK_IN_MESSAGE[why]))
        # what people say can be about their health: the words only at debug level
        logger.info("voice %s: ok (%s, %.2f)", sender, recognition.model, recognition.confidence)
        logger.debug("voice %s heard %r", sender, recognition.transcript)
        checked = why.value if why else None
        return VoiceResult(
            OK, sender, recognition.transcript, recognition, messages, check_in=checked
        )

    async def refuse(
        self,
        sender: str,
        status: str,
        detail: str,
        recognition: Recognition | None = None,
        confidence: float | None = None,
    ) -> VoiceResult:
        """Nothing reaches the conversation; the client gets "I didn't catch that"."""
        logger.info("voice %s: %s (%s)", sender, status, detail)
        message = await self.content_message(STATUS_MESSAGE[status])
        return VoiceResult(status, sender, "", recognition, [message], detail, confidence)

    async def content_message(self, name: str) -> Dict[str, Any]:
        """A message of content/answers.yml, with its audio. Not for the echo
        guard: the check-in names what a person in pain may answer with ("I
        feel sharp pain"), and a paused routine takes no doubted red flag, so
        the check-in heard back cannot pause again."""
        reply = self.services.content.message(name).reply.format(seconds=int(MAX_SECONDS))
        message: Dict[str, Any] = {"text": reply.text, "spoken": reply.spoken}
        audio_url = await audio_url_for(reply.spoken, self.services)
        if audio_url:
            message["audio_url"] = audio_url
        return message


async def routine_status(request: Request, sender: str) -> str:
    """The status of the conversation's guided routine ("idle" when it has none
    or it cannot be read)."""
    agent = getattr(request.app.ctx, "agent", None)
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return IDLE
    try:
        tracker = await store.retrieve(sender)
    except Exception:
        logger.exception("could not read the conversation %s", sender)
        return IDLE
    if tracker is None:
        return IDLE
    return RoutineState.from_dict(tracker.get_slot("routine")).status.value


async def read_intent(request: Request, text: str) -> Reading:
    """The NLU's reading of ``text`` (``UNREAD`` when the model cannot say)."""
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or not getattr(agent, "is_ready", lambda: False)():
        return UNREAD
    try:
        parsed = await agent.parse_message(text)
    except Exception:
        logger.exception("could not read the intent of a voice transcript")
        return UNREAD
    return Reading.of_parse(parsed)


class VoiceChannel(InputChannel):
    """``voice``: speech in, replies (with audio) out."""

    @classmethod
    def name(cls) -> str:
        return "voice"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        voice = Blueprint("psoas_voice", __name__)
        services = process_services()
        guarded = reply_even_on_failure(on_new_message, services)
        # a token when PSOAS_JWT_SECRET asks for one, then the client's limits:
        # both answer before the upload is read
        require_token(voice, services, voice=True)
        limit_per_client(voice, services.voice_limits, services)

        @voice.listener("before_server_start")
        async def start_recognition(app: Any, loop: Any) -> None:
            try:
                await services.recognition.start()
            except Exception:
                logger.exception("the speech recogniser could not start: voice will answer 503")

        @voice.listener("after_server_stop")
        async def stop_recognition(app: Any, loop: Any) -> None:
            await services.recognition.close()

        @voice.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @voice.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            async def status(sender: str) -> str:
                return await routine_status(request, sender)

            async def intent(text: str) -> Reading:
                return await read_intent(request, text)

            recognize = services.recognition.recognize
            handler = VoiceHandler(guarded, recognize, status, services, read_intent=intent)
            try:
                request.body = await read_body(request)
                parsed = parse_request(request)
                # a token bound to a conversation speaks in that one
                parsed = replace(parsed, sender=token_subject(request) or parsed.sender)
            except AudioProblem as problem:
                result = await handler.refuse(
                    clean_sender(request.args.get("sender")), problem.status, problem.detail
                )
            else:
                result = await handler.handle(parsed)
            headers = {"Server-Timing": result.timings.header()}
            return response.json(result.body(), status=result.http_status, headers=headers)

        return voice
