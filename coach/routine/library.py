"""Where routines come from: the :class:`RoutineLibrary` interface and its YAML
implementation over ``content/routines.yml``, validated once, on first use (never
at import). Every cue template the machine uses must be there, with only the
placeholders it fills in (``CUE_PLACEHOLDERS``).
"""

from __future__ import annotations

import string
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Dict, List, Mapping, Tuple

import yaml

from coach.routine.model import (
    CUE_PLACEHOLDERS,
    HOLD,
    INTRO,
    MAX_HOLD_SECONDS,
    NO_SIDE,
    SAFETY,
    SIDES,
    STEP_KINDS,
    Cue,
    CueTemplate,
    Routine,
    RoutineError,
    Step,
    as_int,
)
from coach.settings import DEFAULT_CONTENT_DIR

ROUTINES_FILE = "routines.yml"


class RoutineLibrary(ABC):
    """Where routines and cue wordings come from."""

    @abstractmethod
    def get(self, routine_id: str) -> Routine | None:
        """The routine with this id, if any."""

    @abstractmethod
    def ids(self) -> List[str]:
        """The ids of all routines, in the order offered."""

    @abstractmethod
    def cue(self, name: str, **values: Any) -> Cue:
        """The cue ``name`` with its placeholders filled in."""


class YamlRoutineLibrary(RoutineLibrary):
    """Routines read from ``routines.yml`` and validated once, on first use."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path or DEFAULT_CONTENT_DIR / ROUTINES_FILE
        self._lock = threading.Lock()
        self._routines: Dict[str, Routine] | None = None
        self._cues: Dict[str, CueTemplate] = {}

    def _load(self) -> Dict[str, Routine]:
        with self._lock:
            if self._routines is not None:
                return self._routines
            with open(self._path, encoding="utf-8") as handle:
                raw = yaml.safe_load(handle) or {}
            if not isinstance(raw, Mapping):
                raise RoutineError(f"{self._path}: must be a mapping")
            settle = raw.get("settle_seconds", 8)
            if as_int(settle) is None or settle <= 0:
                raise RoutineError("settle_seconds must be a positive whole number")
            cues = _parse_cues(raw.get("cues"))
            routines: Dict[str, Routine] = {}
            for index, data in enumerate(_as_list(raw.get("routines"), "routines")):
                routine = _parse_routine(data, f"routines[{index}]", settle)
                if routine.id in routines:
                    raise RoutineError(f"routine id {routine.id!r} is used twice")
                routines[routine.id] = routine
            if not routines:
                raise RoutineError("no routines")
            self._cues = cues
            self._routines = routines
            return routines

    def get(self, routine_id: str) -> Routine | None:
        return self._load().get(routine_id)

    def ids(self) -> List[str]:
        return list(self._load())

    def cue(self, name: str, **values: Any) -> Cue:
        self._load()
        try:
            template = self._cues[name]
        except KeyError as exc:
            raise RoutineError(f"no cue {name!r}") from exc
        return template.render(name, **values)


def _as_list(value: Any, where: str) -> List[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RoutineError(f"{where}: must be a list")
    return value


def _reply(data: Any, where: str) -> Tuple[str, str]:
    if not isinstance(data, Mapping):
        raise RoutineError(f"{where}: needs 'spoken' and 'text'")
    spoken, text = str(data.get("spoken") or "").strip(), str(data.get("text") or "").strip()
    if not spoken or not text:
        raise RoutineError(f"{where}: 'spoken' and 'text' must not be empty")
    return spoken, text


def _placeholders(template: str, where: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise RoutineError(f"{where}: {exc}") from exc


def _parse_cues(data: Any) -> Dict[str, CueTemplate]:
    if not isinstance(data, Mapping):
        raise RoutineError("cues: must be a mapping")
    cues: Dict[str, CueTemplate] = {}
    for name, value in data.items():
        spoken, text = _reply(value, f"cues.{name}")
        allowed = CUE_PLACEHOLDERS.get(str(name), frozenset())
        for form in (spoken, text):
            unknown = _placeholders(form, f"cues.{name}") - allowed
            if unknown:
                raise RoutineError(f"cues.{name}: unknown placeholders {sorted(unknown)}")
        cues[str(name)] = CueTemplate(spoken=spoken, text=text)
    missing = set(CUE_PLACEHOLDERS) - set(cues)
    if missing:
        raise RoutineError(f"cues: missing {sorted(missing)}")
    return cues


def _parse_routine(data: Any, where: str, settle: int) -> Routine:
    if not isinstance(data, Mapping):
        raise RoutineError(f"{where}: must be a mapping")
    routine_id = str(data.get("id") or "").strip()
    if not routine_id:
        raise RoutineError(f"{where}: needs an id")
    where = f"routine {routine_id}"
    steps: List[Step] = []
    for index, step_data in enumerate(_as_list(data.get("steps"), f"{where}.steps")):
        step = _parse_step(step_data, f"{where}.steps[{index}]", settle)
        if any(s.id == step.id for s in steps):
            raise RoutineError(f"{where}: step id {step.id!r} is used twice")
        steps.append(step)
    if not any(step.timed for step in steps):
        raise RoutineError(f"{where}: has no hold")
    intro_spoken, intro_text = _reply(data.get("intro"), f"{where}.intro")
    safety_spoken, safety_text = _reply(data.get("safety"), f"{where}.safety")
    return Routine(
        id=routine_id,
        title=str(data.get("title") or routine_id),
        guide=str(data.get("guide") or ""),
        intro=Cue(INTRO, intro_spoken, intro_text),
        safety=Cue(SAFETY, safety_spoken, safety_text),
        steps=tuple(steps),
    )


def _parse_step(data: Any, where: str, settle: int) -> Step:
    if not isinstance(data, Mapping):
        raise RoutineError(f"{where}: must be a mapping")
    step_id = str(data.get("id") or "").strip()
    if not step_id:
        raise RoutineError(f"{where}: needs an id")
    where = f"{where} ({step_id})"
    side = data.get("side", NO_SIDE)
    if side not in SIDES:
        raise RoutineError(f"{where}: side must be one of {SIDES}, not {side!r}")
    kind = data.get("kind", HOLD)
    if kind not in STEP_KINDS:
        raise RoutineError(f"{where}: kind must be one of {STEP_KINDS}, not {kind!r}")
    hold = as_int(data.get("hold_seconds"))
    if hold is None or hold < 0 or hold > MAX_HOLD_SECONDS:
        raise RoutineError(f"{where}: hold_seconds must be a whole number, 0 to {MAX_HOLD_SECONDS}")
    step_settle = as_int(data.get("settle_seconds", settle))
    if step_settle is None or step_settle <= 0:
        raise RoutineError(f"{where}: settle_seconds must be a positive whole number")
    guide = data.get("guide") or []
    quotes = tuple(str(q) for q in (guide if isinstance(guide, list) else [guide]))
    spoken, text = _reply(data, where)
    return Step(
        id=step_id,
        side=str(side),
        text=text,
        spoken=spoken,
        hold_seconds=hold,
        kind=str(kind),
        settle_seconds=step_settle,
        guide=quotes,
    )
