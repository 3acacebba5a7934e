"""Never leave a user without a reply.

Every user message in this assistant gets at least one bot message. When none
was sent, something failed on the way (the action server is down or crashed, an
action raised): the user is told so plainly instead of hearing nothing.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import OutputChannel, UserMessage

from actions.content import get_content_store

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class CountingOutputChannel(OutputChannel):
    """Passes every bot message on to the real channel and counts them."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0

    def name(self) -> str:
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(recipient_id, message)


def reply_even_on_failure(on_new_message: OnNewMessage) -> OnNewMessage:
    """Wraps Rasa's message handler so that a failure still gets a clear reply."""

    async def handle(message: UserMessage) -> None:
        counter = CountingOutputChannel(message.output_channel)
        message.output_channel = counter
        try:
            await on_new_message(message)
        except Exception:
            logger.exception("handling a message from %s failed", message.sender_id)
        if counter.sent == 0:
            logger.warning("no reply to %s: telling them something went wrong", message.sender_id)
            trouble = get_content_store().message("trouble").reply
            await counter.inner.send_response(
                message.sender_id or "", {"text": trouble.text, "spoken": trouble.spoken}
            )

    return handle
