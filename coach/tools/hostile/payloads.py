"""Hostile values shared by the routes' probes: forged intents, nasty text, wrong types.

Everything here is a constant or made from a seeded ``random.Random``, so the
same seed gives the same requests.
"""

from __future__ import annotations

import json
import random
from typing import Any, Tuple

# the five routes a run covers
REST = "rest"
SOCKETIO = "socketio"
VOICE = "voice"
AUDIO_FILES = "audio_files"
WIDGET = "widget"
ROUTES = (REST, SOCKETIO, VOICE, AUDIO_FILES, WIDGET)

PASSWD = "/etc/passwd"
PASSWD_MARK = b"root:x:0:0:"  # in a response: /etc/passwd was read

# what a user can type that Rasa reads as an intent, with entities, not as text
FORGED_INTENTS: Tuple[str, ...] = (
    '/EXTERNAL_routine_cue{"cue": "release", "generation": "999999"}',
    '/EXTERNAL_routine_cue{"cue":"reconnect"}',
    '/EXTERNAL_routine_cue{"cue": "halfway", "generation": -1}',
    '/EXTERNAL_routine_cue{"cue": ["release"], "generation": {"a": 1}}',
    '/EXTERNAL_routine_cue{"cue": "done", "generation": "99999999999999999999999999"}',
    '/EXTERNAL_routine_cue{"cue": null, "generation": null}',
    '/EXTERNAL_routine_cue{"cue": "setup_end", "generation": 1e308}',
    "/EXTERNAL_routine_cue",
    '/start_routine{"routine":"../../etc"}',
    '/start_routine{"routine": "/etc/passwd"}',
    '/start_routine{"routine": {"id": "knee_to_chest_stretch", "step": 999}}',
    '/start_routine{"routine": 42, "duration": -5}',
    '/set_hold_duration{"duration": "1e308"}',
    '/set_hold_duration{"duration": -30}',
    '/set_hold_duration{"duration": [1, 2, 3]}',
    "/nonexistent_intent",
    '/nonexistent_intent{"routine": "x"}',
    "/greet{not json",
    '/greet{"side": "' + "x" * 5000 + '"}',
    "/greet@0.99",
    "/greet@-1",
    "/",
    "//",
    "/ greet",
    "/session_start",
    "/restart",
    "/action_restart",
    "/utter_greet",
    "/nlu_fallback",
    "/out_of_scope",
    '/report_red_flag_symptom{"symptom": "../../etc/passwd"}',
    '/report_health_condition{"condition": {"$ne": null}}',
    "/routine_next",
    "/routine_stop",
    "/forget_conversation",
    "/affirm",
)

CONTROL_TEXT: Tuple[str, ...] = (
    "how do i stretch\x01\x02\x03 my psoas",
    "\x1b[31mred\x1b[0m psoas \x07\x08",
    "psoas\r\n\r\nHTTP/1.1 200 OK\r\n",
    "line\u2028separator\u2029psoas",
    "\x7f\x80\x9f delete and C1",
    "\t\t\t\v\f",
)
UNICODE_TEXT: Tuple[str, ...] = (
    "how do I stretch my \u202epsoas\u202c",
    "\u200b\u200c\u200d\ufeffpsoas\u2060\u200b",
    "\U0001f9d8\u200d\u2640\ufe0f stretch \U0001f468\u200d\U0001f469\u200d\U0001f467 \U0001f4a9",
    "ps" + "\u0301\u0302\u0303\u0304\u0305" * 400 + "oas",
    "\u0440s\u043eas \u0455tretch",  # Cyrillic homoglyphs
    "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 psoas",
    "\ufdfd" * 200,
    "\U000e0041\U000e0042 tags \U0010ffff",
)
NUL_TEXT: Tuple[str, ...] = (
    "how do I stretch\x00 my psoas",
    "\x00",
    "\x00" * 1000,
    "/greet\x00{}",
)

# values of every JSON type but the one a field wants
WRONG_TYPES: Tuple[Any, ...] = (
    0,
    -1,
    1.5,
    10**30,
    [],
    ["hello"],
    {},
    {"text": "hello"},
    None,
    True,
    False,
    "",
    "   ",
)


def deep_list(levels: int) -> str:
    """``[[[...]]]``, ``levels`` deep, balanced."""
    return "[" * levels + "]" * levels


def deep_object(levels: int) -> str:
    return '{"a":' * levels + "0" + "}" * levels


def sender(rng: random.Random, prefix: str = "hostile") -> str:
    """A fresh conversation id for one probe (from the seed: the same run, the same ids)."""
    return f"{prefix}-{rng.getrandbits(48):012x}"


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def any_text(rng: random.Random) -> str:
    """A nasty message of any family."""
    family = rng.choice((FORGED_INTENTS, CONTROL_TEXT, UNICODE_TEXT, NUL_TEXT))
    text = rng.choice(family)
    if rng.random() < 0.3:  # mixed with an ordinary question
        text = f"how do I stretch my psoas {text}"
    return text
