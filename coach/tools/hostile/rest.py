"""Hostile requests to the REST channel: ``POST /webhooks/rest/webhook``.

Malformed JSON and UTF-8, JSON that is no object, wrong types for every field,
bodies of several MB and messages far over any sensible length, nesting 100k
deep, empty bodies, wrong content types, forged ``/intent{...}`` messages,
control characters, bidirectional and zero-width text, NUL bytes, the
``?stream=`` form, other methods.
"""

from __future__ import annotations

import random
from typing import Any, Callable, List

from coach.tools.hostile.payloads import (
    CONTROL_TEXT,
    FORGED_INTENTS,
    NUL_TEXT,
    REST,
    UNICODE_TEXT,
    WRONG_TYPES,
    any_text,
    deep_list,
    deep_object,
    json_bytes,
    sender,
)
from coach.tools.hostile.wire import HttpProbe

PATH = b"/webhooks/rest/webhook"
JSON = (("Content-Type", "application/json"),)
MB = 1024 * 1024


def probe(kind: str, body: bytes | Callable[[], bytes], **options: Any) -> HttpProbe:
    options.setdefault("headers", JSON)
    return HttpProbe(
        REST, kind, options.pop("method", "POST"), options.pop("target", PATH), body=body, **options
    )


def message(rng: random.Random, text: Any, **more: Any) -> bytes:
    return json_bytes({"sender": sender(rng, "rest"), "message": text, **more})


INVALID_JSON = (
    b"{",
    b'{"sender": "x", "message": }',
    b"{'sender': 'x', 'message': 'hi'}",
    b'{"sender": "x", "message": "hi",}',
    b'{"message": NaN}',
    b'{"message": Infinity, "sender": -Infinity}',
    b'{"message": "unterminated',
    b'{"message": "hi"}{"message": "again"}',
    b'{"message": "\\x41"}',
    b"\x00\x00\x00\x00",
    b"<xml><message>hi</message></xml>",
    b"sender=x&message=hi",
    b'\xef\xbb\xbf{"sender": "bom", "message": "hi"}',
)
NOT_AN_OBJECT = (b"null", b"true", b"12345", b"-0.0", b'"a string"', b"[]", b'[{"message": "hi"}]')
INVALID_UTF8 = (
    b'{"sender": "u8", "message": "\xff\xfe\xfd"}',
    b'{"sender": "u8", "message": "\xc0\xaf\xc0\xae overlong"}',
    b'{"sender": "u8", "message": "\xed\xa0\x80 surrogate"}',
    b'{"sender": "\x80\x81", "message": "hi"}',
    b'{"sender": "u8", "message": "\\ud800 lone surrogate"}',
    b'{"sender": "u8", "message": "\\udbff\\udfff a pair"}',
    b'{"sender": "u8", "message": "caf\xe9 latin-1"}',
)
CONTENT_TYPES = (
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=nothing",
    "application/xml",
    "application/json; charset=utf-16",
    "application/json; charset=ebcdic",
    "image/png",
    "",
    "\x00",
)


def fixed(rng: random.Random) -> List[HttpProbe]:
    """Every kind of REST probe, each at least once."""
    out = [probe("invalid_json", body) for body in INVALID_JSON]
    out += [probe("json_not_object", body) for body in NOT_AN_OBJECT]
    out += [probe("invalid_utf8", body) for body in INVALID_UTF8]
    for wrong in WRONG_TYPES:
        out.append(probe("wrong_types", json_bytes({"sender": wrong, "message": "hello"})))
        out.append(probe("wrong_types", message(rng, wrong)))
    for field in ("metadata", "input_channel"):
        for wrong in ("text", [1, 2], 5, {"a": {"b": [None]}}, None):
            out.append(probe("wrong_types", message(rng, "hello", **{field: wrong})))
    out += [
        probe("huge_body", lambda: b" " * (5 * MB) + b'{"message": "hi"}'),
        probe("huge_body", lambda: json_bytes({"sender": "s" * (3 * MB), "message": "hi"})),
        probe("huge_body", lambda: json_bytes(list(range(600_000)))),
        probe("huge_message", lambda: json_bytes({"sender": "huge-1", "message": "psoas " * MB})),
        probe("huge_message", lambda: json_bytes({"sender": "huge-2", "message": "a" * (2 * MB)})),
        # 20 kB: over 100 kB, the NLU's memory alone can take the machine down
        probe("huge_message", message(rng, "how do I stretch my psoas " * 800)),
        probe("huge_message", message(rng, "x" * 2001)),
        probe("deep_nesting", b"[" * 100_000),
        probe("deep_nesting", deep_list(100_000).encode()),
        probe(
            "deep_nesting", ('{"sender": "deep", "message": ' + deep_list(50_000) + "}").encode()
        ),
        probe(
            "deep_nesting", ('{"sender": "deep", "metadata": ' + deep_object(50_000) + "}").encode()
        ),
        probe("empty_body", b""),
        probe("empty_body", b"", headers=()),
        probe("empty_body", b"{}"),
        probe("empty_body", b"   \r\n  "),
    ]
    out += [
        probe("content_type", message(rng, "hello"), headers=(("Content-Type", kind),))
        for kind in CONTENT_TYPES
    ]
    out.append(
        probe(
            "content_type",
            '{"sender": "utf16", "message": "hi"}'.encode("utf-16"),
            headers=(("Content-Type", "application/json; charset=utf-16"),),
        )
    )
    # a conversation id that cannot be written as UTF-8 (a lone surrogate, by JSON escape)
    for who in (b'"\\udfff"', b'"a\\ud800b"', b'"\\udbff\\udfff"'):
        out.append(probe("surrogate_sender", b'{"sender": ' + who + b', "message": "hi"}'))
    out += [probe("forged_intent", message(rng, text)) for text in FORGED_INTENTS]
    out += [probe("control_chars", message(rng, text)) for text in CONTROL_TEXT]
    out += [probe("unicode", message(rng, text)) for text in UNICODE_TEXT]
    out += [probe("nul_bytes", message(rng, text)) for text in NUL_TEXT]
    out.append(probe("nul_bytes", json_bytes({"sender": "nul\x00sender", "message": "hi"})))
    for query in (b"?stream=true", b"?stream=yes", b"?stream=%ff%00", b"?stream=true&stream=false"):
        out.append(probe("stream_query", b"[", target=PATH + query))
        out.append(probe("stream_query", message(rng, "hello"), target=PATH + query))
    for method in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"):
        out.append(probe("other_methods", b"", method=method, headers=()))
    return out


def extra(rng: random.Random) -> HttpProbe:
    """One more REST probe, varied by ``rng``."""
    shape = rng.randrange(4)
    if shape == 0:
        return probe("forged_intent", message(rng, rng.choice(FORGED_INTENTS)))
    if shape == 1:
        wrong = rng.choice(WRONG_TYPES)
        field = rng.choice(("sender", "message", "metadata"))
        return probe("wrong_types", json_bytes({"sender": "w", "message": "hi", field: wrong}))
    if shape == 2:
        return probe(
            rng.choice(("unicode", "control_chars", "nul_bytes")), message(rng, any_text(rng))
        )
    body = bytearray(message(rng, any_text(rng)))
    for _ in range(rng.randint(1, 4)):  # a few bytes flipped: broken JSON or UTF-8
        body[rng.randrange(len(body))] = rng.randrange(256)
    return probe("invalid_json", bytes(body))
