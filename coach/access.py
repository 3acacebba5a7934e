"""Who may talk to the coach: browser origins and (optional) signed tokens.

- **Origins.** The widget is served by the Rasa server itself, so its own
  origin (the ``Host`` the request came to, or the balancer's
  ``X-Forwarded-Proto``/``X-Forwarded-Host``) is always allowed; other origins
  only when listed in ``PSOAS_CORS_ORIGINS`` (a rasa-webchat embedded on
  another site). A request without an ``Origin`` (curl, a server) is no
  browser's and is not an origin question.
- **Tokens.** With ``PSOAS_JWT_SECRET`` set, REST, voice and socket.io need a
  bearer token signed with it (``PSOAS_JWT_METHOD``, HS256 by default), as
  deployments that embed the widget in a logged-in app issue. A token with a
  ``sub`` binds the client to that conversation: its messages go to ``sub``,
  whatever sender they name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Tuple

import jwt


def same_origins(scheme: str, host: str, headers: Mapping[str, str]) -> Tuple[str, ...]:
    """The origins a request's own page may have: as received, and as the
    balancer in front says it was received."""
    own = [f"{scheme}://{host}"] if host else []
    proto = headers.get("x-forwarded-proto", "").split(",")[0].strip()
    forwarded_host = headers.get("x-forwarded-host", "").split(",")[0].strip()
    if proto or forwarded_host:
        own.append(f"{proto or scheme}://{forwarded_host or host}")
    return tuple(own)


def origin_allowed(origin: str | None, own: Tuple[str, ...], configured: Tuple[str, ...]) -> bool:
    if not origin:
        return True
    origin = origin.rstrip("/")
    return origin in own or origin in configured or "*" in configured


@dataclass(frozen=True)
class Claims:
    subject: str | None  # the conversation the token is bound to, if any


class TokenCheck:
    """Verifies bearer tokens; with no secret, every request passes."""

    def __init__(self, secret: str, method: str = "HS256") -> None:
        self.secret = secret
        self.method = method

    @property
    def required(self) -> bool:
        return bool(self.secret)

    def claims(self, token: Any) -> Claims | None:
        """The token's claims, or None when it is missing, expired or forged."""
        if not self.required:
            return Claims(None)
        if not isinstance(token, str) or not token.strip():
            return None
        token = token.strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        try:
            payload = jwt.decode(token, self.secret, algorithms=[self.method])
        except jwt.PyJWTError:
            return None
        subject = payload.get("sub")
        return Claims(str(subject)[:128] if subject not in (None, "") else None)
