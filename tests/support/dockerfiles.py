"""Reading Dockerfiles and a ``.dockerignore`` the way Docker does, far enough for
``tests/test_deploy.py`` to check them without a Docker engine: stages and their
instructions (continued lines joined, comments dropped), the sources and flags of
a ``COPY``, the variables of an ``ENV`` or ``ARG``, and which paths of the build
context an ignore file keeps out."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Tuple


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, COPY, RUN...
    args: str


@dataclass
class Stage:
    image: str  # what FROM names: an image, or an earlier stage
    name: str | None
    instructions: List[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> List[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None


@dataclass(frozen=True)
class Copy:
    sources: Tuple[str, ...]
    destination: str
    flags: Dict[str, str]

    @property
    def stage(self) -> str | None:
        """The stage (or image) it copies from; ``None``: the build context."""
        return self.flags.get("from")


def logical_lines(text: str) -> List[str]:
    """Instructions one per line: comments dropped (parser directives too),
    lines ending in a backslash joined with the next."""
    lines: List[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    if pending.strip():
        lines.append(pending.strip())
    return lines


def parse(path: Path) -> List[Stage]:
    """The stages of the Dockerfile at ``path``, in order."""
    stages: List[Stage] = []
    for line in logical_lines(path.read_text(encoding="utf-8")):
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name))
        elif not stages:
            if keyword != "ARG":
                raise ValueError(f"{path}: {keyword} before the first FROM")
        else:
            stages[-1].instructions.append(Instruction(keyword, args))
    return stages


def words(args: str) -> List[str]:
    """An instruction's arguments: its JSON array form, or shell-like words."""
    if args.startswith("["):
        parsed = json.loads(args)
        return [str(w) for w in parsed]
    return shlex.split(args)


def parse_copy(args: str) -> Copy:
    tokens = words(args) if not args.startswith("--") else shlex.split(args)
    flags: Dict[str, str] = {}
    while tokens and tokens[0].startswith("--"):
        name, _, value = tokens.pop(0)[2:].partition("=")
        flags[name] = value
    if len(tokens) < 2:
        raise ValueError(f"COPY needs a source and a destination: {args!r}")
    return Copy(tuple(tokens[:-1]), tokens[-1], flags)


def variables(instruction: Instruction) -> Dict[str, str]:
    """What an ``ENV`` or ``ARG`` sets: ``{name: value}`` (an ``ARG`` with no
    default has the value ``""``)."""
    tokens = shlex.split(instruction.args)
    if instruction.keyword == "ENV" and tokens and "=" not in tokens[0]:
        return {tokens[0]: " ".join(tokens[1:])}  # the old ``ENV name value`` form
    found: Dict[str, str] = {}
    for token in tokens:
        name, _, value = token.partition("=")
        found[name] = value
    return found


def image_tag(image: str) -> str | None:
    """The tag of ``name:tag`` (or ``@digest``), ``None`` for an untagged name."""
    if "@" in image:
        return image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A ``.dockerignore`` pattern (Go's filepath.Match plus ``**``) as a regex."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + r"\Z")


def ignore_patterns(path: Path) -> List[str]:
    """The patterns of a ``.dockerignore`` (no ``!`` exceptions: not supported here)."""
    patterns = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("!"):
            raise ValueError(f"{path}: exceptions ({line}) are not understood by this reader")
        patterns.append(line.strip("/"))
    return patterns


def ignored(relative: str, patterns: Sequence[str]) -> bool:
    """Whether the context path ``relative`` (or a folder it is in) is left out."""
    parts = [p for p in relative.strip("/").split("/") if p and p != "."]
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    regexes = [_pattern_regex(p) for p in patterns]
    return any(r.match(c) for r in regexes for c in candidates)
