"""The voice channel: ``POST /webhooks/voice/webhook`` with a recording, get the reply.

Request: ``multipart/form-data`` with ``sender`` (the conversation; the web
widget sends its socket.io session id) and ``audio`` (WAV of any rate, or
WebM/OGG/MP4/MP3/FLAC as browsers record it), and optionally ``mode``:

* ``question`` (the default; push-to-talk): anything the assistant knows.
  While a routine runs, the routine command model is tried first, and its
  transcript kept only when the NLU reads it as something said during a
  routine (a command, a red flag); otherwise the full model decides.
* ``hands_free`` (continuous listening): routine commands and red flags only
  (by the command model, checked by the NLU's intent); anything else is not
  acted upon.
* ``barge_in`` (heard while the coach itself was speaking): only "stop",
  "pause" and pain words, from a closed list whose model also knows the other
  commands (decoys, heard as themselves and never acted upon), so that the
  coach's own voice never drives the routine.

In both listening modes, a transcript that repeats what the coach said to this
conversation in the last 30 s is its echo, not a command (``coach.speech.echo``).

A raw audio body (``Content-Type: audio/wav``, ``?sender=...&mode=...``) works
too, for scripts and curl.

Response (JSON, always): ``status``, ``transcript`` (what was acted upon; empty
otherwise), ``confidence``, ``model``, ``recipient_id``, ``messages`` (the
replies, each with ``text``, ``spoken``, ``audio_url`` and, in a routine,
``routine``) and, when nothing was acted upon, ``detail``. Statuses:

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

Replies to a voice message go back in the HTTP response. Later replies, the
timed cues of a routine started or changed by voice, go to the conversation's
socket.io session, where the web widget is listening (``VoiceOutputChannel``).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Awaitable, Callable, Dict, List, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.guard import OnNewMessage, audio_url_for, reply_even_on_failure
from channels.socketio import send_to_session
from coach.content.store import get_content_store
from coach.routine.machine import ACTIVE, RoutineState, Status
from coach.speech.asr.audio_input import (
    MAX_SECONDS,
    MAX_UPLOAD_BYTES,
    NO_SPEECH,
    TOO_LARGE,
    TOO_LONG,
    UNREADABLE,
    UNSUPPORTED_TYPE,
    AudioProblem,
    Pcm,
    decode_upload,
    is_silent,
)
from coach.speech.asr.service import (
    BARGE_IN,
    COMMANDS,
    QUESTIONS,
    Recognition,
    RecognitionError,
    get_recognition_service,
)
from coach.speech.echo import RecentSpeech, recent_speech
from coach.speech.lm.build import ROUTINE_INTENTS

logger = logging.getLogger(__name__)

OK = "ok"
NOT_UNDERSTOOD = "not_understood"
MISSING_AUDIO = "missing_audio"
RECOGNIZER_UNAVAILABLE = "recognizer_unavailable"

QUESTION, HANDS_FREE, BARGE_IN_MODE = "question", "hands_free", "barge_in"
MODES = (QUESTION, HANDS_FREE, BARGE_IN_MODE)

HTTP_STATUS = {
    OK: 200,
    NO_SPEECH: 200,
    NOT_UNDERSTOOD: 200,
    MISSING_AUDIO: 400,
    TOO_LARGE: 413,
    TOO_LONG: 413,
    UNSUPPORTED_TYPE: 415,
    UNREADABLE: 422,
    RECOGNIZER_UNAVAILABLE: 503,
}
# the content message (content/answers.yml) each status answers with
STATUS_MESSAGE = {
    NO_SPEECH: "voice_no_speech",
    NOT_UNDERSTOOD: "voice_not_understood",
    MISSING_AUDIO: "voice_missing",
    TOO_LARGE: "voice_too_long",
    TOO_LONG: "voice_too_long",
    UNSUPPORTED_TYPE: "voice_unsupported",
    UNREADABLE: "voice_unreadable",
    RECOGNIZER_UNAVAILABLE: "voice_unavailable",
}
MAX_SENDER_LENGTH = 128


class VoiceOutputChannel(CollectingOutputChannel):
    """Collects the replies to one voice request; once the response has gone
    (``detach``), forwards later ones to the conversation's socket.io session."""

    def __init__(self) -> None:
        super().__init__()
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
        if not await send_to_session(recipient, message):
            logger.debug("a later reply to %s had no socket.io session to go to", recipient)


@dataclass
class VoiceRequest:
    """The parts of a request, read and checked."""

    sender: str
    mode: str
    audio: bytes | None
    audio_type: str | None


@dataclass
class VoiceResult:
    status: str
    sender: str
    transcript: str = ""
    recognition: Recognition | None = None
    messages: List[Dict[str, Any]] = field(default_factory=list)
    detail: str | None = None

    def body(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "status": self.status,
            "transcript": self.transcript,
            "confidence": self.recognition.confidence if self.recognition else None,
            "model": self.recognition.model if self.recognition else None,
            "recipient_id": self.sender,
            "messages": self.messages,
        }
        if self.detail:
            out["detail"] = self.detail
        return out

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.status, 200)


def clean_sender(value: Any) -> str:
    """The conversation id: a given one trimmed, else a fresh one (never shared)."""
    if isinstance(value, (str, int)) and str(value).strip():
        return str(value).strip()[:MAX_SENDER_LENGTH]
    return f"anonymous-{uuid.uuid4().hex}"


def clean_mode(value: Any) -> str:
    mode = str(value or "").strip().lower().replace("-", "_")
    return mode if mode in MODES else QUESTION


async def read_body(request: Request) -> bytes:
    """The request body, refused (``too_large``) as soon as it passes the cap."""
    limit = MAX_UPLOAD_BYTES + 64 * 1024  # room for the multipart envelope
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise AudioProblem(TOO_LARGE, f"the upload is over {MAX_UPLOAD_BYTES // 1024 // 1024} MB")
    if request.body:
        body = bytes(request.body)
    else:
        chunks = bytearray()
        while True:
            chunk = await request.stream.read() if request.stream else None
            if chunk is None:
                break
            chunks += chunk
            if len(chunks) > limit:
                raise AudioProblem(
                    TOO_LARGE, f"the upload is over {MAX_UPLOAD_BYTES // 1024 // 1024} MB"
                )
        body = bytes(chunks)
    if len(body) > limit:
        raise AudioProblem(TOO_LARGE, f"the upload is over {MAX_UPLOAD_BYTES // 1024 // 1024} MB")
    return body


def parse_request(request: Request) -> VoiceRequest:
    """Multipart form (``sender``, ``mode``, ``audio``) or a raw audio body."""
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        form, files = request.form, request.files
        upload = files.get("audio") if files else None
        text_audio = form.get("audio") if form else None
        if upload is not None:
            audio, audio_type = upload.body, upload.type
        elif text_audio is not None:  # a form field that is not a file
            raise AudioProblem(UNSUPPORTED_TYPE, "the audio field must be a file")
        else:
            audio, audio_type = None, None
        return VoiceRequest(
            sender=clean_sender(form.get("sender") if form else None),
            mode=clean_mode(form.get("mode") if form else None),
            audio=audio,
            audio_type=audio_type,
        )
    args = request.args
    if kind in ("application/json", "application/x-www-form-urlencoded", "text/plain"):
        raise AudioProblem(
            UNSUPPORTED_TYPE, "send multipart/form-data with an audio file, or an audio body"
        )
    return VoiceRequest(
        sender=clean_sender(args.get("sender")),
        mode=clean_mode(args.get("mode")),
        audio=bytes(request.body) if request.body else None,
        audio_type=content_type,
    )


RecognizeFn = Callable[[bytes, str], Awaitable[Recognition]]
# the conversation's routine status ("running", "paused"; "idle" when none)
RoutineStatusFn = Callable[[str], Awaitable[str]]
# the NLU's intent for a transcript (None: the NLU could not say)
IntentFn = Callable[[str], Awaitable[str | None]]

IDLE, RUNNING = Status.IDLE.value, Status.RUNNING.value
ACTIVE_STATUSES = frozenset(status.value for status in ACTIVE)

# what an open microphone may act upon: what people say during a routine
HANDS_FREE_INTENTS = ROUTINE_INTENTS | {"start_routine"}
# Mid-routine, pain and other red flags heard with less confidence than the
# command model asks for ("that hurts" at 0.35, each word right) are not
# dropped: a person in pain must not be told "I didn't catch that" while the
# hold goes on. Nor are they taken for sure: the routine is paused, and the
# coach says what it thought it heard and what to do (the safety answer and a
# full stop are for red flags heard with the command model's confidence), so
# chatter misheard as pain costs a pause. bench/pain_by_voice.py measured the
# bar: at 0.30, 55% of spoken pain reports and 73% of held-out red flags are
# acted upon instead of 28% and 39%, and 8% of chatter recordings pause the
# routine (4% at 0.40, which catches 48% and 70%): a pause is cheap, pain is not.
SAFETY_INTENT = "report_red_flag_symptom"
SAFETY_MIN_CONFIDENCE = 0.3
DOUBTED_RED_FLAG_COMMAND = "/routine_pause"
DOUBTED_RED_FLAG_MESSAGE = "voice_doubted_red_flag"


async def no_intent(text: str) -> str | None:
    return None


class VoiceHandler:
    """What the route does, apart from HTTP (tested on its own)."""

    def __init__(
        self,
        on_new_message: OnNewMessage,
        recognize: RecognizeFn,
        routine_status: RoutineStatusFn,
        recent: RecentSpeech = recent_speech,
        read_intent: IntentFn = no_intent,
    ) -> None:
        self.on_new_message = on_new_message
        self.recognize = recognize
        self.routine_status = routine_status
        self.recent = recent
        self.read_intent = read_intent

    async def handle(self, request: VoiceRequest) -> VoiceResult:
        sender = request.sender
        if not request.audio:
            return await self.refuse(sender, MISSING_AUDIO, "no audio in the request")
        try:
            pcm = await decode_upload(request.audio, request.audio_type)
            if is_silent(pcm):
                raise AudioProblem(NO_SPEECH, "the recording is silent")
        except AudioProblem as problem:
            return await self.refuse(sender, problem.status, problem.detail)
        try:
            recognition = await self.understand(pcm, request.mode, sender)
        except RecognitionError as exc:
            logger.error("speech recognition failed: %s", exc)
            return await self.refuse(sender, RECOGNIZER_UNAVAILABLE, "speech recognition failed")
        if not recognition.heard_speech:
            return await self.refuse(sender, NO_SPEECH, "no speech was heard", recognition)
        if not recognition.accepted():
            return await self.refuse(
                sender,
                NOT_UNDERSTOOD,
                f"not sure enough of what was said ({recognition.confidence:.2f})",
                recognition,
            )
        if request.mode != QUESTION and self.recent.echoes(sender, recognition.transcript):
            # an open microphone heard the coach's own words: never a command
            return await self.refuse(
                sender, NOT_UNDERSTOOD, "that was the coach's own voice", recognition
            )
        doubted_red_flag = recognition.min_confidence is not None
        if (
            request.mode == HANDS_FREE
            and not doubted_red_flag
            and not await self.said_in_routine(recognition, HANDS_FREE_INTENTS)
        ):
            # an open microphone hears the room: act on routine talk only
            return await self.refuse(
                sender, NOT_UNDERSTOOD, "not something said to a routine", recognition
            )
        output = VoiceOutputChannel()
        metadata: Dict[str, Any] = {
            "confidence": recognition.confidence,
            "model": recognition.model,
            "mode": request.mode,
        }
        if doubted_red_flag:
            metadata["doubted_red_flag"] = True
        message = UserMessage(
            DOUBTED_RED_FLAG_COMMAND if doubted_red_flag else recognition.transcript,
            output,
            sender,
            input_channel="voice",
            metadata={"voice": metadata},
        )
        try:
            await self.on_new_message(message)
        finally:
            output.detach()
        messages = [{k: v for k, v in m.items() if k != "recipient_id"} for m in output.messages]
        if doubted_red_flag:  # what it thought it heard, and what to do, before "Paused"
            messages.insert(0, await self.content_message(DOUBTED_RED_FLAG_MESSAGE))
        # what people say can be about their health: the words only at debug level
        logger.info("voice %s: ok (%s, %.2f)", sender, recognition.model, recognition.confidence)
        logger.debug("voice %s heard %r", sender, recognition.transcript)
        return VoiceResult(OK, sender, recognition.transcript, recognition, messages)

    async def said_in_routine(self, recognition: Recognition, intents: frozenset[str]) -> bool:
        """Whether the NLU reads the transcript as one of ``intents``.

        The barge-in list is all stop and pause phrases: nothing to check. When
        the NLU cannot say (it is down), the recogniser's word stands."""
        if recognition.model == BARGE_IN:
            return True
        intent = await self.read_intent(recognition.transcript)
        return intent is None or intent in intents

    async def understand(self, pcm: Pcm, mode: str, sender: str) -> Recognition:
        """Recognise with the model(s) the mode and the conversation call for.

        In a routine the command model goes first; when it is not sure, the
        closed barge-in list gets its strict second look (a lone "stop" is
        short, and the worst word to miss), and push-to-talk then tries every
        sentence the assistant knows. In push-to-talk the command model's
        transcript counts only when the NLU reads it as routine talk: that
        model forces a question into its own words, confidently ("how do i
        stretch my psoas" heard as "how do i slipped my psoas"), and a wrong
        answer is worse than the full model's second look (bench/voice.py)."""
        # over the coach's voice the closed list alone decides: no need to ask
        status = IDLE if mode == BARGE_IN_MODE else await self.routine_status(sender)
        if mode == BARGE_IN_MODE:
            plan: Tuple[str, ...] = (BARGE_IN,)
        elif status in ACTIVE_STATUSES:
            plan = (COMMANDS, BARGE_IN) if mode == HANDS_FREE else (COMMANDS, BARGE_IN, QUESTIONS)
        else:
            plan = (QUESTIONS,)
        heard: Recognition | None = None
        gated: Recognition | None = None
        doubted: List[Recognition] = []
        for index, model in enumerate(plan):
            result = await self.recognize(pcm.samples, model)
            if result.accepted():
                last = index == len(plan) - 1
                if mode != QUESTION or model != COMMANDS or last:
                    return result
                if await self.said_in_routine(result, ROUTINE_INTENTS):
                    return result
                gated = replace(result, confidence=0.0)  # not acted upon
                continue
            if index == 0 and not result.heard_speech:
                return result  # nothing was said: no other model will hear more
            if result.heard_speech:
                heard = result
                if model != BARGE_IN:  # a closed list has no doubtful sentences
                    doubted.append(result)
        # a hold going on, the coach silent (paused, nothing goes on: the
        # person can say it again, and the check-in heard back cannot loop)
        if status == RUNNING:
            for result in doubted:
                if await self.reports_red_flag(result):
                    return replace(result, min_confidence=SAFETY_MIN_CONFIDENCE)
        heard = heard or gated
        assert heard is not None
        return heard

    async def reports_red_flag(self, recognition: Recognition) -> bool:
        """Sure enough for a red flag, and read as one by the NLU's safety screen."""
        if not recognition.accepted(SAFETY_MIN_CONFIDENCE):
            return False
        return await self.read_intent(recognition.transcript) == SAFETY_INTENT

    async def refuse(
        self,
        sender: str,
        status: str,
        detail: str,
        recognition: Recognition | None = None,
    ) -> VoiceResult:
        """Nothing reaches the conversation; the client gets "I didn't catch that"."""
        logger.info("voice %s: %s (%s)", sender, status, detail)
        message = await self.content_message(STATUS_MESSAGE[status])
        return VoiceResult(status, sender, "", recognition, [message], detail)

    @staticmethod
    async def content_message(name: str) -> Dict[str, Any]:
        """A message of content/answers.yml, with its audio. Not for the echo
        guard: the check-in names what a person in pain may answer with ("I
        feel sharp pain"), and a paused routine takes no doubted red flag, so
        the check-in heard back cannot pause again."""
        reply = get_content_store().message(name).reply.format(seconds=int(MAX_SECONDS))
        message: Dict[str, Any] = {"text": reply.text, "spoken": reply.spoken}
        audio_url = await audio_url_for(reply.spoken)
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


async def read_intent(request: Request, text: str) -> str | None:
    """The NLU's intent for ``text`` (None when the model cannot say)."""
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or not getattr(agent, "is_ready", lambda: False)():
        return None
    try:
        parsed = await agent.parse_message(text)
    except Exception:
        logger.exception("could not read the intent of a voice transcript")
        return None
    name = (parsed.get("intent") or {}).get("name")
    return str(name) if name else None


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
        guarded = reply_even_on_failure(on_new_message)

        @voice.listener("before_server_start")
        async def start_recognition(app: Any, loop: Any) -> None:
            try:
                await get_recognition_service().start()
            except Exception:
                logger.exception("the speech recogniser could not start: voice will answer 503")

        @voice.listener("after_server_stop")
        async def stop_recognition(app: Any, loop: Any) -> None:
            await get_recognition_service().close()

        @voice.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @voice.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            async def recognize(samples: bytes, model: str) -> Recognition:
                return await get_recognition_service().recognize(samples, model)

            async def status(sender: str) -> str:
                return await routine_status(request, sender)

            async def intent(text: str) -> str | None:
                return await read_intent(request, text)

            handler = VoiceHandler(guarded, recognize, status, read_intent=intent)
            try:
                request.body = await read_body(request)
                parsed = parse_request(request)
            except AudioProblem as problem:
                result = await handler.refuse(
                    clean_sender(request.args.get("sender")), problem.status, problem.detail
                )
            else:
                result = await handler.handle(parsed)
            return response.json(result.body(), status=result.http_status)

        return voice
