"""Bearer tokens on the HTTP channels (``coach.access``): with
``PSOAS_JWT_SECRET`` set, a request without a valid token gets 401 and the
"please sign in again" message, and never reaches the conversation. A token
bound to a conversation (``sub``) is kept on the request as
``request.ctx.token_subject`` for the channel to use as the sender."""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from coach.services import Services


def require_token(blueprint: Blueprint, services: Services) -> None:
    @blueprint.middleware("request")
    async def need_token(request: Request) -> HTTPResponse | None:
        request.ctx.token_subject = None
        if not services.tokens.required or request.method == "OPTIONS":
            return None
        claims = services.tokens.claims(request.headers.get("authorization"))
        if claims is None:
            reply = services.content.message("not_signed_in").reply
            return response.json(
                [{"text": reply.text, "spoken": reply.spoken}],
                status=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        request.ctx.token_subject = claims.subject
        return None


def token_subject(request: Any) -> str | None:
    """The conversation the request's token is bound to, if any."""
    return getattr(getattr(request, "ctx", None), "token_subject", None)
