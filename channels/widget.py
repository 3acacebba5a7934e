"""The web widget, served by Rasa's own server at ``/coach/``.

Not a conversation channel: the page talks to the socket.io channel (chat,
routine cues) and the voice channel (recordings) of the same server, so
everything is one origin and nothing comes from a CDN:

* ``GET /coach/``: the page (``web/index.html``);
* ``GET /coach/contract.json``: every server fact the page's scripts use
  (``widget_contract``: button and reconnect messages from ``coach.intents``,
  socket.io events, the voice URL, modes and statuses, routine statuses),
  loaded once by ``web/js/contract.js``, so the scripts re-type none of them;
* ``GET /coach/static/<path>``: its scripts, styles and icons (``web/``, or
  ``PSOAS_WEB_DIR``);
* ``GET /coach/vendor/socket.io.min.js``: the socket.io client, installed from
  the npm lock by ``scripts/run`` (``node_modules/``).

Only files inside the web folder with a known type are served; anything else
is a 404. A strict Content-Security-Policy allows scripts, styles, media and
connections from this origin only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Iterable
from urllib.parse import urljoin

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.guard import AUDIO_ROUTE
from channels.voice import OK, VoiceChannel
from coach.intents import RECONNECT_MESSAGE, WIDGET_BUTTONS
from coach.routine.model import ACTIVE, LEFT, NO_SIDE, RIGHT, SETUP_END, Status
from coach.services import Services, process_services
from coach.settings import PROJECT_ROOT
from coach.speech.listening import BARGE_IN_MODE, HANDS_FREE, QUESTION

SOCKETIO_CLIENT = PROJECT_ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
WIDGET_PATH = "/coach"
# where Rasa mounts the channels' blueprints (rasa.core.run), joined to their url_prefix
WEBHOOKS = "/webhooks/"

MEDIA_TYPES: Dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
}
MAX_WEB_PATH = 1024  # characters: far longer than any file of the widget's
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "media-src 'self' blob:; connect-src 'self' ws: wss:; worker-src 'self' blob:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "microphone=(self)",
    # the files change with the code: revalidate, never serve a stale page
    "Cache-Control": "no-cache",
}


def widget_contract(socket: SocketIOInput | None = None) -> Dict[str, Any]:
    """What the widget's scripts need to know of the server, from the places
    that decide it; ``socket`` is the running socket.io channel (its events
    and path come from ``credentials.yml``), Rasa's defaults without one."""
    socket = socket or SocketIOInput()
    voice_url = urljoin(WEBHOOKS, VoiceChannel().url_prefix()) + "/webhook"
    return {
        "buttons": dict(WIDGET_BUTTONS),
        "reconnect_message": RECONNECT_MESSAGE,
        "socket": {
            "path": socket.socketio_path,
            "user_message": socket.user_message_evt,
            "bot_message": socket.bot_message_evt,
        },
        "voice": {
            "url": voice_url,
            "modes": {mode: mode for mode in (QUESTION, HANDS_FREE, BARGE_IN_MODE)},
            "statuses": {"ok": OK},
        },
        "audio_route": AUDIO_ROUTE,
        "routine": {
            "statuses": {status.name.lower(): status.value for status in Status},
            "active": [status.value for status in ACTIVE],
            "sides": {"right": RIGHT, "left": LEFT, "none": NO_SIDE},
            "cues": {"setup_end": SETUP_END},
        },
    }


def running_socketio(channels: Iterable[InputChannel]) -> SocketIOInput | None:
    """The socket.io channel among the server's input channels, if it runs one."""
    return next((c for c in channels if isinstance(c, SocketIOInput)), None)


def resolve_web_file(root: Path, relative: str) -> Path | None:
    """The file at ``relative`` inside ``root``, if it is there and may be served.

    A path the file system cannot even look up (a name over its length limit,
    as long chains of encoded ``../`` make) is not there: a 404, not a 500."""
    if not relative or "\x00" in relative or len(relative) > MAX_WEB_PATH:
        return None
    try:
        base = root.resolve()
        candidate = (base / relative).resolve()
        if base not in candidate.parents or not candidate.is_file():
            return None
    except (OSError, ValueError):
        return None
    if candidate.suffix not in MEDIA_TYPES:
        return None
    return candidate


async def _file(path: Path) -> HTTPResponse:
    return await response.file(
        path, mime_type=MEDIA_TYPES[path.suffix], headers=dict(SECURITY_HEADERS)
    )


def _not_found() -> HTTPResponse:
    return response.json({"error": "not found"}, status=404, headers=dict(SECURITY_HEADERS))


def contract_response(request: Request) -> HTTPResponse:
    """``/coach/contract.json`` for the server ``request`` came to."""
    channels = getattr(request.app.ctx, "input_channels", None) or []
    return response.json(
        widget_contract(running_socketio(channels)), headers=dict(SECURITY_HEADERS)
    )


class WidgetChannel(InputChannel):
    """Serves the web widget (no messages come in here)."""

    services: Services | None = None  # a test's own; else the process's

    @classmethod
    def name(cls) -> str:
        return "widget"

    def url_prefix(self) -> str:
        # absolute: Rasa joins it to "/webhooks/", which an absolute path replaces
        return WIDGET_PATH

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        widget = Blueprint("psoas_widget", __name__)
        web_dir = (self.services or process_services()).settings.web_dir

        @widget.route("/", methods=["GET", "HEAD"])
        async def page(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):
                # the page's relative links need the trailing slash
                return response.redirect(request.path + "/", status=301)
            index = resolve_web_file(web_dir, "index.html")
            return await _file(index) if index else _not_found()

        @widget.route("/contract.json", methods=["GET", "HEAD"])
        async def contract(request: Request) -> HTTPResponse:
            return contract_response(request)

        @widget.route("/static/<path:path>", methods=["GET", "HEAD"])
        async def static(request: Request, path: str) -> HTTPResponse:
            found = resolve_web_file(web_dir, path)
            return await _file(found) if found else _not_found()

        @widget.route("/vendor/socket.io.min.js", methods=["GET", "HEAD"])
        async def socketio_client(request: Request) -> HTTPResponse:
            if not SOCKETIO_CLIENT.is_file():
                return response.text(
                    "// the socket.io client is not installed: run scripts/run (npm ci)\n",
                    status=503,
                    content_type="text/javascript",
                )
            return await _file(SOCKETIO_CLIENT)

        return widget
