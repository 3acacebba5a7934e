"""Who may use the HTTP channels, and how much.

Bearer tokens (``coach.access``): with
``PSOAS_JWT_SECRET`` set, a request without a valid token gets 401 and the
"please sign in again" message, and never reaches the conversation. A token
bound to a conversation (``sub``) is kept on the request as
``request.ctx.token_subject`` for the channel to use as the sender.

Limits (``coach.ratelimit``): a client over its limits on an expensive route
gets 429 and a spoken "slow down" instead of an answer."""

from __future__ import annotations

from typing import Any, Dict

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.guard import audio_url_for
from channels.voice_result import HTTP_STATUS, NOT_SIGNED_IN, SLOW_DOWN
from coach.ratelimit import RateLimiter
from coach.services import Services


def require_token(blueprint: Blueprint, services: Services, voice: bool = False) -> None:
    """A request without a valid token gets 401 and "please sign in again", in
    the channel's own answer shape (REST's list of messages, or the voice
    channel's object)."""

    @blueprint.middleware("request")
    async def need_token(request: Request) -> HTTPResponse | None:
        request.ctx.token_subject = None
        if not services.tokens.required or request.method == "OPTIONS":
            return None
        claims = services.tokens.claims(request.headers.get("authorization"))
        if claims is not None:
            request.ctx.token_subject = claims.subject
            return None
        reply = services.content.message("not_signed_in").reply
        message = {"text": reply.text, "spoken": reply.spoken}
        body: Any = [message]
        if voice:
            body = {"status": NOT_SIGNED_IN, "transcript": None, "messages": [message]}
        return response.json(body, status=401, headers={"WWW-Authenticate": "Bearer"})


def token_subject(request: Any) -> str | None:
    """The conversation the request's token is bound to, if any."""
    return getattr(getattr(request, "ctx", None), "token_subject", None)


def client_address(request: Request) -> str:
    """The client's address: the one a trusted balancer forwards (Sanic's
    ``PROXIES_COUNT``, set by the scaled profile) or the peer's own."""
    return str(request.remote_addr or request.ip or "unknown")


def limit_per_client(blueprint: Blueprint, limiter: RateLimiter, services: Services) -> None:
    """Answers a client over its limits with 429, ``Retry-After`` and a spoken
    "slow down" (``coach.ratelimit``); the request is not handled at all."""

    @blueprint.middleware("request")
    async def admit(request: Request) -> HTTPResponse | None:
        request.ctx.admitted = None
        if request.method != "POST":
            return None
        key = client_address(request)
        admission = limiter.acquire(key)
        if admission.allowed:
            request.ctx.admitted = key
            return None
        reply = services.content.message("slow_down").reply
        message: Dict[str, Any] = {"text": reply.text, "spoken": reply.spoken}
        audio_url = await audio_url_for(reply.spoken, services)
        if audio_url:
            message["audio_url"] = audio_url
        body = {
            "status": SLOW_DOWN,
            "transcript": None,
            "confidence": None,
            "model": None,
            "recipient_id": None,
            "messages": [message],
            "detail": admission.reason,
        }
        headers = {"Retry-After": str(admission.retry_after)}
        return response.json(body, status=HTTP_STATUS[SLOW_DOWN], headers=headers)

    @blueprint.middleware("response")
    async def release(request: Request, reply: HTTPResponse) -> None:
        key = getattr(request.ctx, "admitted", None)
        if key:
            limiter.release(key)
            request.ctx.admitted = None
