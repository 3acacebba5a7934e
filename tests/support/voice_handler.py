"""Fakes for the voice channel's handler (``channels.voice.VoiceHandler``): a
recogniser that answers per language model, a conversation that records what
reached it, a routine status, an NLU, and recordings made at test time."""

from __future__ import annotations

import io
import wave
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np
from rasa.core.channels.channel import OutputChannel, UserMessage

from channels.voice import VoiceHandler, VoiceResult
from channels.voice_request import VoiceRequest
from coach.services import Services
from coach.settings import Settings
from coach.speech.asr.base import Recognition
from coach.speech.listening import QUESTION, UNREAD, Reading
from coach.speech.thresholds import MIN_CONFIDENCE

SENDER = "conversation-1"


def quiet(**given: Any) -> Services:
    """The services of a test: no synthesis, the content of ``content/``."""
    return Services(Settings(speech_enabled=False), **given)


# --- recordings ----------------------------------------------------------------------


def wav(seconds: float = 1.0, rate: int = 16000, level: float = 0.3) -> bytes:
    """A tone: loud enough not to be silence (the fake recogniser decides the words)."""
    t = np.arange(int(seconds * rate)) / rate
    samples = (level * 32767 * np.sin(2 * np.pi * 220 * t)).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


SPEECH = wav()
SILENCE = wav(level=0.0)


# --- fakes -----------------------------------------------------------------------------


def heard(text: str, model: str, confidence: float = 0.95) -> Recognition:
    return Recognition(text, confidence, model, 1.0)


def unsure(text: str, model: str) -> Recognition:
    return Recognition(text, MIN_CONFIDENCE[model] / 3, model, 1.0)


def nothing(model: str) -> Recognition:
    return Recognition("", 0.0, model, 0.0)


class FakeRecognizer:
    """Answers per model; ``models`` lists what it was asked, in order."""

    def __init__(self, **answers: Recognition | Exception) -> None:
        self.answers = answers
        self.models: List[str] = []
        self.sizes: List[int] = []

    async def __call__(self, samples: bytes, model: str) -> Recognition:
        self.models.append(model)
        self.sizes.append(len(samples))
        answer = self.answers.get(model, nothing(model))
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeConversation:
    """Rasa's message handler: records the message, answers on its output channel."""

    def __init__(self, replies: Sequence[Dict[str, Any]] = ({"text": "An answer."},)) -> None:
        self.replies = list(replies)
        self.received: List[UserMessage] = []
        self.channels: List[OutputChannel] = []

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        assert message.output_channel is not None
        self.channels.append(message.output_channel)
        for reply in self.replies:
            await message.output_channel.send_response(message.sender_id or "", dict(reply))


class Routine:
    """``routine_status``: "running" (True), "idle" (False) or the status given;
    records whom it was asked about."""

    def __init__(self, status: bool | str) -> None:
        self.status = status if isinstance(status, str) else ("running" if status else "idle")
        self.asked: List[str] = []

    async def __call__(self, sender: str) -> str:
        self.asked.append(sender)
        return self.status


class FakeNlu:
    """``read_intent``: the intent per transcript (none for the rest: the NLU
    could not say); ``read`` lists what it was asked."""

    def __init__(self, **intents: str) -> None:
        self.intents = {text.replace("_", " "): intent for text, intent in intents.items()}
        self.read: List[str] = []

    async def __call__(self, text: str) -> Reading:
        self.read.append(text)
        intent = self.intents.get(text)
        return Reading(intent, {"text": text, "intent": {"name": intent}}) if intent else UNREAD


def handler_with(
    recognizer: FakeRecognizer,
    conversation: FakeConversation | None = None,
    routine: bool | Routine = False,
    nlu: FakeNlu | None = None,
    services: Services | None = None,
) -> Tuple[VoiceHandler, FakeConversation]:
    conversation = conversation or FakeConversation()
    active = routine if isinstance(routine, Routine) else Routine(routine)
    handler = VoiceHandler(
        conversation, recognizer, active, services or quiet(), read_intent=nlu or FakeNlu()
    )
    return handler, conversation


def request(
    audio: bytes | None = SPEECH,
    mode: str = QUESTION,
    audio_type: str | None = "audio/wav",
    sender: str = SENDER,
) -> VoiceRequest:
    return VoiceRequest(sender=sender, mode=mode, audio=audio, audio_type=audio_type)


async def run_plan(
    mode: str, routine: bool, nlu: FakeNlu | None = None, /, **answers: Recognition | Exception
) -> Tuple[VoiceResult, List[str], FakeConversation, Routine]:
    recognizer = FakeRecognizer(**answers)
    active = Routine(routine)
    handler, conversation = handler_with(recognizer, routine=active, nlu=nlu)
    result = await handler.handle(request(mode=mode))
    return result, recognizer.models, conversation, active
