"""What a voice request answers: its statuses, their HTTP codes and messages,
and the result's JSON body (``channels.voice`` builds it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List

from coach.speech.asr.audio_input import (
    NO_SPEECH,
    TOO_LARGE,
    TOO_LONG,
    UNREADABLE,
    UNSUPPORTED_TYPE,
)
from coach.speech.asr.base import Recognition
from coach.speech.heard import Verdict
from coach.timings import Timings

OK = "ok"
NOT_UNDERSTOOD = "not_understood"
MISSING_AUDIO = "missing_audio"
RECOGNIZER_UNAVAILABLE = "recognizer_unavailable"
SLOW_DOWN = "slow_down"  # over the client's limits (channels/access.py)
NOT_SIGNED_IN = "not_signed_in"  # no valid token when one is needed (channels/access.py)

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
    SLOW_DOWN: 429,
    NOT_SIGNED_IN: 401,
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
    SLOW_DOWN: "slow_down",
    NOT_SIGNED_IN: "not_signed_in",
}
# the status of an outcome that is not acted upon
REFUSAL_STATUS = {
    Verdict.NO_SPEECH: NO_SPEECH,
    Verdict.NOT_UNDERSTOOD: NOT_UNDERSTOOD,
    Verdict.IGNORE_ECHO: NOT_UNDERSTOOD,
}


@dataclass
class VoiceResult:
    status: str
    sender: str
    transcript: str = ""
    recognition: Recognition | None = None
    messages: List[Dict[str, Any]] = field(default_factory=list)
    detail: str | None = None
    # as reported: the recognition's, unless the listening policy said otherwise
    confidence: float | None = None
    # acted upon by pausing to check in: why (``CheckIn``)
    check_in: str | None = None
    # where the request's time went (the ``Server-Timing`` header)
    timings: Timings = field(default_factory=Timings)

    def __post_init__(self) -> None:
        if self.confidence is None and self.recognition is not None:
            self.confidence = self.recognition.confidence

    def body(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "status": self.status,
            "transcript": self.transcript,
            "confidence": self.confidence,
            "model": self.recognition.model if self.recognition else None,
            "recipient_id": self.sender,
            "messages": self.messages,
        }
        if self.detail:
            out["detail"] = self.detail
        if self.check_in:
            out["check_in"] = self.check_in
        return out

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.status, 200)
