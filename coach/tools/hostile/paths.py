"""Path traversal at the two file routes: ``GET /webhooks/audio/files/<name>``
(the audio cache) and the widget's ``GET /coach/...`` (``web/``).

Each target (``/etc/passwd`` and the caller's canary files) is asked for
through ``../`` in every encoding a server or a library might decode once too
often: percent-encoded, doubly encoded, overlong UTF-8, backslashes, Unicode
dots, ``%u`` escapes, NUL bytes, absolute paths, raw non-ASCII bytes in the
request line, absolute-form targets, overlong names. A deep ``../`` chain
reaches the root from any served folder, so the targets are given absolute.
"""

from __future__ import annotations

import random
from typing import Callable, Dict, List, Sequence

from coach.tools.hostile.payloads import AUDIO_FILES, PASSWD, WIDGET
from coach.tools.hostile.wire import HttpProbe

AUDIO = b"/webhooks/audio/files/"
WIDGET_PREFIXES = (b"/coach/static/", b"/coach/", b"/coach/vendor/", b"/coach/static/js/")
DEPTH = 16  # deeper than any served folder: the chain ends at the root

# one "../" in each encoding, and how the rest of the path's slashes are written
STEPS: Dict[str, tuple[bytes, bytes]] = {
    "dotdot": (b"../", b"/"),
    "percent": (b"%2e%2e%2f", b"%2f"),
    "percent_upper": (b"%2E%2E%2F", b"%2F"),
    "percent_dots": (b"%2e%2e/", b"/"),
    "percent_slash": (b"..%2f", b"%2f"),
    "mixed": (b".%2e/", b"/"),
    "double": (b"%252e%252e%252f", b"%252f"),
    "overlong": (b"..%c0%af", b"%c0%af"),
    "overlong_dots": (b"%c0%ae%c0%ae%c0%af", b"%c0%af"),
    "overlong_3byte": (b"..%e0%80%af", b"%e0%80%af"),
    "backslash": (b"..\\", b"\\"),
    "backslash_percent": (b"..%5c", b"%5c"),
    "unicode_dots": (b"%e2%80%a4%e2%80%a4/", b"/"),
    "fullwidth": (b"%ef%bc%8e%ef%bc%8e%ef%bc%8f", b"%ef%bc%8f"),
    "u_escape": (b"%u002e%u002e%u2215", b"%u2215"),
    "raw_fullwidth": ("\uff0e\uff0e/".encode(), b"/"),
    "dot_slash": (b"..//", b"//"),
    "dot_dot_dot": (b".../", b"/"),
}


def climb(step: bytes, slash: bytes, target: str, depth: int = DEPTH) -> bytes:
    """``target`` reached from any folder: ``depth`` steps up, then the path."""
    return step * depth + slash.join(part.encode() for part in target.strip("/").split("/"))


def traversals(target: str) -> Dict[str, List[bytes]]:
    """Names that try to reach ``target``, by kind."""
    out: Dict[str, List[bytes]] = {}
    for kind, (step, slash) in STEPS.items():
        out.setdefault(kind, []).append(climb(step, slash, target))
    out["shallow"] = [climb(b"../", b"/", target, depth) for depth in (1, 2, 3)]
    # a neighbour of the served folder (``web/../state/x``), by its last parts
    parts = target.strip("/").split("/")
    out["sibling"] = [
        b"../" * up + "/".join(parts[-(up + 1) :]).encode() for up in (1, 2) if len(parts) > up
    ]
    absolute = target.encode()
    out["absolute"] = [
        absolute,
        b"/" + absolute,
        b"%2f" + absolute.lstrip(b"/").replace(b"/", b"%2f"),
    ]
    out["nul"] = [
        climb(b"../", b"/", target) + suffix for suffix in (b"%00", b"%00.js", b"%00.wav", b"\x00")
    ]
    out["file_url"] = [b"file://" + absolute, b"file:%2f%2f" + absolute.replace(b"/", b"%2f")]
    return out


def _probes(route: str, prefixes: Sequence[bytes], targets: Sequence[str]) -> List[HttpProbe]:
    out = []
    for target in targets:
        for kind, names in traversals(target).items():
            for index, name in enumerate(names):
                prefix = prefixes[index % len(prefixes)]
                out.append(HttpProbe(route, f"traversal_{kind}", "GET", prefix + name))
    return out


def _odd(route: str, prefix: bytes, names: Sequence[bytes]) -> List[HttpProbe]:
    return [HttpProbe(route, "odd_names", "GET", prefix + name) for name in names]


ODD_NAMES = (
    b"",
    b".",
    b"..",
    b"a" * 10_000,
    b"../" * 3000 + b"etc/passwd",
    b"%" * 100,
    b"%zz%",
    b"\xc0\xaf\xff",
    b"name with spaces",
    b"*",
    b"index.html?../../etc/passwd",
    b"index.html#../../etc/passwd",
    b";/../../etc/passwd",
    b"CON",
)


def fixed(rng: random.Random, paths: Sequence[str]) -> List[HttpProbe]:
    """Every kind of traversal at both routes, at each target, and odd names."""
    targets = (PASSWD, *paths)
    out = _probes(AUDIO_FILES, (AUDIO,), targets)
    out += _probes(WIDGET, WIDGET_PREFIXES, targets)
    hex_name = b"0" * 64
    out += _odd(
        AUDIO_FILES,
        AUDIO,
        (
            *ODD_NAMES,
            hex_name + b".wav",
            hex_name.upper() + b".WAV",
            b"../" + hex_name + b".wav",
            hex_name + b".wav%00.txt",
            hex_name + b".ogg",
        ),
    )
    out += _odd(
        WIDGET,
        b"/coach/static/",
        (*ODD_NAMES, b"index.html", b"js/", b"js/../index.html", b"../web/index.html"),
    )
    out += _odd(
        WIDGET,
        b"/coach",
        (b"", b"/", b"//etc/passwd", b"/contract.json/..", b"/%2e%2e/%2e%2e/etc/passwd"),
    )
    for route, path in (
        (AUDIO_FILES, AUDIO + b"../../../etc/passwd"),
        (WIDGET, b"/coach/static/../../../etc/passwd"),
    ):
        for method in ("HEAD", "POST", "PUT", "DELETE", "OPTIONS"):
            out.append(HttpProbe(route, "other_methods", method, path))
        out.append(HttpProbe(route, "absolute_form", "GET", b"http://localhost" + path))
        out.append(HttpProbe(route, "absolute_form", "GET", b"file://" + path))
    return out


def extra(rng: random.Random, paths: Sequence[str]) -> HttpProbe:
    """One more traversal probe, varied by ``rng``: encodings mixed step by step."""
    route, prefix = rng.choice([(AUDIO_FILES, AUDIO)] + [(WIDGET, p) for p in WIDGET_PREFIXES])
    target = rng.choice((PASSWD, *paths))
    steps = list(STEPS.values())
    chain = b"".join(rng.choice(steps)[0] for _ in range(rng.randint(4, DEPTH)))
    _, slash = rng.choice(steps)
    name = chain + slash.join(part.encode() for part in target.strip("/").split("/"))
    decorate: Callable[[bytes], bytes] = rng.choice(
        (lambda n: n, lambda n: n + b"%00", lambda n: n + b"?x=1", lambda n: n.upper())
    )
    return HttpProbe(route, "traversal_mixed", rng.choice(("GET", "HEAD")), prefix + decorate(name))
