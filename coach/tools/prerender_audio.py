"""Render every fixed text the coach says into the audio cache, ahead of time.

    .venv/bin/python -m coach.tools.prerender_audio              # render what is missing
    .venv/bin/python -m coach.tools.prerender_audio --dry-run    # list the texts only

So that starting a routine, or an answer, never waits on speech synthesis (the
offline neural voice takes 0.1-1 s a text). The texts are:

* every fixed answer of ``content/answers.yml`` (answers, follow-ups, messages:
  each ``spoken`` text without a placeholder), every response of ``domain.yml``
  (greetings, goodbyes...: spoken as their text reads), and every safety answer as it is
  said (``content/safety.yml``: each category's answer, and the general ones,
  followed by the closing line);
* every cue of the routines, from the routine machine itself
  (``coach.routine.machine``), with the default settings:

* every routine run hands-free to its end, as the server runs it (start, then
  each scheduled cue at its time): the real sequence of cues;
* each command of ``coach.intents.COMMANDS`` (next, previous, repeat, pause,
  resume, stop, time left, switch sides, an out-of-range hold, longer, shorter,
  pain, reconnect), and a reconnect an hour later, called once in each state of
  that run, and in a paused state, and with no routine at all.

Texts with numbers are only rendered for the numbers the defaults give ("30
seconds left." at the start of a 30-second hold, "Okay, 45 seconds." after
"longer"); any other number is synthesized when first asked for, as before.

Audio goes through the configured speech service (``Services().speech``:
``PSOAS_TTS_ENGINES``, ``PSOAS_AUDIO_DIR``...), so the cache keys are the ones
the server uses. Texts already cached (by any engine of the chain) are skipped,
so a second run renders nothing. Exit status: 0 when every text is in the cache
(even if the fallback engine had to render some), 1 when some text could not be
rendered by any engine, 2 on a configuration error.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, Iterator, List, Sequence, Set, Tuple

import yaml

from coach import intents
from coach.content.store import ANSWERS_FILE, ContentError
from coach.intents import SAFETY_KINDS
from coach.routine.library import RoutineLibrary
from coach.routine.machine import RoutineMachine
from coach.routine.model import (
    MASSAGE,
    MAX_HOLD_SECONDS,
    MIN_HOLD_SECONDS,
    Cue,
    RoutineState,
    Transition,
)
from coach.safety.screen import SafetyScreen
from coach.services import Services
from coach.settings import PROJECT_ROOT, SettingError, Settings
from coach.speech.tts.cache import CachedAudio
from coach.speech.tts.service import SpeechService
from coach.text.spoken import plain_text
from coach.tools.render_routine import START, drive

RECONNECT_AFTER_SECONDS = 3600.0  # long enough for "welcome back"

HOLD_START, MASSAGE_START, TIME_LEFT = "hold_start", "massage_start", "time_left"
NUMBERED = (HOLD_START, MASSAGE_START, TIME_LEFT)  # cues whose number follows the hold

# every command once (set_hold with no seconds: out of range), then a reconnect
# an hour later: (command, seconds after the moment it is tried at)
PROBES: Tuple[Tuple[str, float], ...] = (
    *((command, 0.0) for command in intents.COMMANDS),
    (intents.RECONNECT, RECONNECT_AFTER_SECONDS),
)


def probe(machine: RoutineMachine, state: RoutineState, now: float) -> List[Transition]:
    """What each of ``PROBES`` does to ``state`` at ``now``."""
    return [machine.handle(state, now + later, command) for command, later in PROBES]


def _default_numbers(library: RoutineLibrary) -> Set[str]:
    """The numbered cues as the default holds say them: "Hold for 30 seconds.",
    "30 seconds left." (at the start of a hold)."""
    texts: Set[str] = set()
    for routine_id in library.ids():
        routine = library.get(routine_id)
        for step in routine.steps if routine else ():
            if step.timed:
                start = MASSAGE_START if step.kind == MASSAGE else HOLD_START
                for name in (start, TIME_LEFT):
                    texts.add(library.cue(name, seconds=step.hold_seconds).spoken)
    return texts


def collect_cues(machine: RoutineMachine, library: RoutineLibrary) -> List[Cue]:
    """Every cue the routines say with the default settings, first occurrence of each
    spoken text, in the order a person would meet them."""
    seen: Dict[str, Cue] = {}
    default_numbers = _default_numbers(library)

    def add(transition: Transition) -> Transition:
        for cue in transition.say:
            if cue.name in NUMBERED and cue.spoken not in default_numbers:
                continue  # a number the defaults never give (a time left mid-hold...)
            seen.setdefault(cue.spoken, cue)
        return transition

    for routine_id in library.ids():
        moments = drive(machine, routine_id)
        for moment in moments:
            add(moment.transition)
        for moment in moments:
            state, now = moment.transition.state, moment.at
            if not state.active:
                continue
            paused = machine.handle(state, now, intents.PAUSE).state
            for when_running, when_paused in zip(
                probe(machine, state, now), probe(machine, paused, now), strict=True
            ):
                add(when_running)
                add(when_paused)
        # the limits of "longer" and "shorter"
        at_max = machine.start(RoutineState(), START, routine_id, MAX_HOLD_SECONDS).state
        add(machine.handle(at_max, START, intents.LONGER))
        at_min = machine.start(RoutineState(), START, routine_id, MIN_HOLD_SECONDS).state
        add(machine.handle(at_min, START, intents.SHORTER))
    # no routine in progress
    idle = RoutineState()
    for transition in probe(machine, idle, START):
        add(transition)
    add(machine.start(idle, START, "no such routine"))
    first = library.ids()[0]
    add(machine.start(idle, START, first, hold_override=MIN_HOLD_SECONDS - 1))
    return list(seen.values())


@dataclass(frozen=True)
class Outcome:
    cue: Cue
    audio: CachedAudio | None = None
    error: str | None = None


ANSWER, SAFETY = "answer", "safety"  # the names of the texts that are not routine cues


def spoken_texts(data: Any) -> Iterator[str]:
    """Every ``spoken`` string of a YAML document, in order."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "spoken" and isinstance(value, str):
                yield value.strip()
            else:
                yield from spoken_texts(value)
    elif isinstance(data, list):
        for value in data:
            yield from spoken_texts(value)


def domain_responses(domain: Path) -> Iterator[str]:
    """The spoken form of every text response of the domain."""
    responses = (yaml.safe_load(domain.read_text(encoding="utf-8")) or {}).get("responses") or {}
    for variations in responses.values():
        for variation in variations or []:
            if isinstance(variation, dict) and isinstance(variation.get("text"), str):
                yield plain_text(variation["text"])


def collect_answers(
    content_dir: Path, safety: SafetyScreen, domain: Path = PROJECT_ROOT / "domain.yml"
) -> List[Cue]:
    """The fixed answers (no placeholders), the domain's responses, and the safety
    answers as they are said."""
    data = yaml.safe_load((content_dir / ANSWERS_FILE).read_text(encoding="utf-8"))
    texts = [Cue(ANSWER, s, s) for s in spoken_texts(data) if s and "{" not in s]
    texts += [Cue(ANSWER, s, s) for s in domain_responses(domain) if s]
    for kind in SAFETY_KINDS:
        for reply in [*(c.response for c in safety.categories(kind)), safety.generic(kind)]:
            said = reply.joined(safety.closing)
            texts.append(Cue(SAFETY, said.spoken, said.text))
    return texts


def prerender(service: SpeechService, cues: Sequence[Cue], jobs: int = 4) -> List[Outcome]:
    """Each cue's spoken text from the cache, synthesized and stored when missing."""

    def one(cue: Cue) -> Outcome:
        try:
            return Outcome(cue, audio=service.speak(cue.spoken))
        except Exception as exc:  # SpeechError by contract; report anything, keep going
            return Outcome(cue, error=f"{type(exc).__name__}: {exc}")

    if jobs <= 1:
        return [one(cue) for cue in cues]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, cues))


def summary(outcomes: Sequence[Outcome], seconds: float, where: str) -> str:
    new = Counter(o.audio.engine for o in outcomes if o.audio is not None and not o.audio.hit)
    cached = sum(1 for o in outcomes if o.audio is not None and o.audio.hit)
    failed = sum(1 for o in outcomes if o.audio is None)
    engines = f" ({', '.join(f'{e} {n}' for e, n in sorted(new.items()))})" if new else ""
    return (
        f"prerender: {len(outcomes)} texts, {sum(new.values())} newly rendered{engines}, "
        f"{cached} already cached, {failed} failed, {seconds:.1f} s, in {where}"
    )


def main(
    argv: Sequence[str] | None = None,
    library: RoutineLibrary | None = None,
    service: SpeechService | None = None,
    services: Services | None = None,
) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coach.tools.prerender_audio",
        description="Render every fixed text the coach says into the audio cache.",
    )
    parser.add_argument("--dry-run", action="store_true", help="list the texts, render nothing")
    parser.add_argument(
        "--jobs", type=int, default=4, help="texts rendered at once (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    began = time.monotonic()
    try:
        # piper in this process (not in a worker of its own, as the server has
        # it): the texts are rendered --jobs at a time, on every core
        services = services or Services(replace(Settings.from_env(), piper_process=False))
        library = library or services.routines
        cues = collect_cues(RoutineMachine(library), library)
        seen = {cue.spoken for cue in cues}
        for answer in collect_answers(services.settings.content_dir, services.safety):
            if answer.spoken not in seen:
                seen.add(answer.spoken)
                cues.append(answer)
    except SettingError as exc:
        print(f"error: configuration: {exc}", file=sys.stderr)
        return 2
    except (ContentError, OSError) as exc:
        print(f"error: cannot load the routines: {exc}", file=sys.stderr)
        return 2
    if args.dry_run:
        for cue in cues:
            print(f"{cue.name:<18} {cue.spoken}")
        print(f"{len(cues)} texts")
        return 0
    try:
        service = service or services.speech
    except ValueError as exc:
        print(f"error: speech configuration: {exc}", file=sys.stderr)
        return 2
    outcomes = prerender(service, cues, args.jobs)
    failures: List[Tuple[Cue, str]] = [(o.cue, o.error or "") for o in outcomes if o.audio is None]
    for cue, error in failures:
        print(f"failed: {cue.name} {cue.spoken!r}: {error}", file=sys.stderr)
    print(summary(outcomes, time.monotonic() - began, str(service.cache.root)))
    primary = service.synthesizer.engine
    fallback = sum(
        1 for o in outcomes if o.audio is not None and not o.audio.hit and o.audio.engine != primary
    )
    if fallback:
        print(
            f"note: {fallback} text(s) were rendered by a fallback engine, not {primary}; "
            "the cache serves them as they are until those files are deleted",
            file=sys.stderr,
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
