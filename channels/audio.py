"""Serves synthesized audio from the cache: ``GET /webhooks/audio/files/<name>``.

Only names of cached files (64 hex digits and .mp3 or .wav) inside the cache
folder are served; anything else is a 404, so no path can escape the cache.
Files are content-addressed, so they are cached by clients for a year.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from coach.services import process_services
from coach.speech.tts.base import MEDIA_TYPES
from coach.speech.tts.cache import resolve_audio_file

CACHE_CONTROL = "public, max-age=31536000, immutable"


class AudioChannel(InputChannel):
    """Not a conversation channel: a file route that lives on Rasa's own server."""

    @classmethod
    def name(cls) -> str:
        return "audio"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        audio = Blueprint("psoas_audio", __name__)

        @audio.route("/files/<name>", methods=["GET", "HEAD"])
        async def serve(request: Request, name: str) -> HTTPResponse:
            path = resolve_audio_file(process_services().settings.audio_dir, name)
            if path is None:
                return response.json({"error": "no such audio"}, status=404)
            media_type = MEDIA_TYPES[path.suffix.lstrip(".")]
            return await response.file(
                path, mime_type=media_type, headers={"Cache-Control": CACHE_CONTROL}
            )

        return audio
