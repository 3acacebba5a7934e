"""Render a whole guided routine to one WAV file, to follow offline (on a phone, say).

    .venv/bin/python -m coach.tools.render_routine knee_to_chest_stretch -o stretch.wav
    .venv/bin/python -m coach.tools.render_routine knee_to_chest_stretch -o s.wav --hold 45 -v
    .venv/bin/python -m coach.tools.render_routine --list

The routine is driven exactly as the server drives it (``coach.routine.machine``):
``start``, then ``timer_fired`` for each scheduled cue when its time comes, on a
fake clock. Each cue is spoken by the offline espeak-ng voice (``PSOAS_ESPEAK_VOICE``,
``PSOAS_ESPEAK_SPEED``) and placed at its
time on the timeline, with real silence in between (the holds), and the result
is written as one mono 16-bit WAV file.

Timing is the live coach's: a hold starts counting once its cues have been said,
as estimated from their word count. When a cue's audio runs past the time of the
next cue, the rest of the timeline is pushed back by the difference, so cues
never overlap; the drift is reported.

``--hold`` sets every hold (massages included), as "make the holds 45 seconds"
does in a session, within the same limits.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import io
import json
import os
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Tuple

from coach.content.store import ContentError
from coach.routine.library import RoutineLibrary
from coach.routine.machine import RoutineMachine
from coach.routine.model import (
    MAX_HOLD_SECONDS,
    MIN_HOLD_SECONDS,
    Cue,
    RoutineState,
    Status,
    Transition,
    valid_hold,
)
from coach.services import Services
from coach.settings import SettingError, Settings
from coach.speech.tts.base import SpeechError, SpeechSynthesizer
from coach.speech.tts.espeak import EspeakSynthesizer

START = 0.0  # the fake clock's start, in seconds
MAX_MOMENTS = 10_000  # a routine that never ends is a bug, not a long routine
SILENCE_CHUNK_FRAMES = 1 << 16


@dataclass(frozen=True)
class Moment:
    """A transition and when (fake clock) it happened."""

    at: float
    transition: Transition


def drive(machine: RoutineMachine, routine_id: str, hold: float | None = None) -> List[Moment]:
    """Run ``routine_id`` hands-free to its end, the way the server does.

    Start at ``START``; then fire the scheduled cues in order of time, each at its
    own time, dropping reminders a transition cancels. The state makes the slot's
    JSON round trip between turns. Raises ``ValueError`` for an unknown routine.
    """
    if machine.library.get(routine_id) is None:
        raise ValueError(f"unknown routine {routine_id!r}")
    transition = machine.start(RoutineState(), START, routine_id, hold)
    moments = [Moment(START, transition)]
    pending: List[Tuple[float, int, str, int]] = []
    order = 0
    at = START
    while True:
        if transition.cancel_previous:
            pending.clear()
        for cue in transition.schedule:
            heapq.heappush(
                pending, (round(at + cue.delay_seconds, 3), order, cue.cue_name, cue.generation)
            )
            order += 1
        if not pending:
            return moments
        if len(moments) >= MAX_MOMENTS:
            raise RuntimeError(f"routine {routine_id!r} did not end after {MAX_MOMENTS} cues")
        at, _, name, generation = heapq.heappop(pending)
        state = RoutineState.from_dict(json.loads(json.dumps(transition.state.to_dict())))
        transition = machine.timer_fired(state, at, name, generation)
        moments.append(Moment(at, transition))


# ---------------------------------------------------------------------------
# Audio


@dataclass(frozen=True)
class Clip:
    """One cue's audio: raw mono 16-bit frames."""

    frames: bytes
    framerate: int

    @property
    def nframes(self) -> int:
        return len(self.frames) // 2


def decode_wav(data: bytes) -> Clip:
    """The frames of a mono 16-bit PCM WAV; raises ``SpeechError`` otherwise."""
    try:
        with wave.open(io.BytesIO(data)) as audio:
            channels, width, rate = audio.getnchannels(), audio.getsampwidth(), audio.getframerate()
            frames = audio.readframes(audio.getnframes())
    except (wave.Error, EOFError) as exc:
        raise SpeechError(f"not a WAV file: {exc}") from exc
    if channels != 1 or width != 2:
        raise SpeechError(
            f"expected mono 16-bit audio, got {channels} channel(s) of {width * 8} bits"
        )
    return Clip(frames=frames, framerate=rate)


def espeak_voice(settings: Settings) -> EspeakSynthesizer:
    """The offline voice as configured (``PSOAS_ESPEAK_VOICE``, ``PSOAS_ESPEAK_SPEED``)."""
    return EspeakSynthesizer(voice=settings.espeak_voice, speed=settings.espeak_speed)


def synthesize_clips(synth: SpeechSynthesizer, texts: Iterable[str]) -> Dict[str, Clip]:
    """Each distinct text spoken once; all at one frame rate (no resampling here)."""
    clips: Dict[str, Clip] = {}
    for text in texts:
        if text in clips:
            continue
        audio = synth.synthesize(text)
        if audio.extension != "wav":
            raise SpeechError(f"{synth.engine} gave {audio.media_type}, not WAV")
        clips[text] = decode_wav(audio.data)
    rates = {clip.framerate for clip in clips.values()}
    if len(rates) > 1:
        raise SpeechError(f"{synth.engine} gave mixed frame rates {sorted(rates)}")
    return clips


@dataclass(frozen=True)
class Placement:
    """A cue on the timeline: due when the machine said it, starting where it plays.

    ``due`` and ``start`` are in frames from the start of the file; ``start`` is
    later than ``due`` when earlier audio ran long (drift) or when the cue follows
    another said at the same moment.
    """

    cue: Cue
    due: int
    start: int
    clip: Clip

    @property
    def end(self) -> int:
        return self.start + self.clip.nframes


@dataclass(frozen=True)
class Push:
    """The timeline was pushed back ``frames`` at the cue ``placement`` (drift)."""

    placement: Placement
    frames: int


def lay_out(
    moments: Sequence[Moment], clips: Dict[str, Clip], framerate: int
) -> Tuple[List[Placement], List[Push]]:
    """Every cue at its time; cues said together play one after the other.

    A moment whose time comes while audio is still playing is pushed back to the
    end of that audio, and so is everything after it (the holds keep their length).
    """
    placements: List[Placement] = []
    pushes: List[Push] = []
    offset = 0  # accumulated drift, in frames
    cursor = 0  # end of the audio so far
    for moment in moments:
        if not moment.transition.say:
            continue
        due = round(moment.at * framerate) + offset
        late = cursor - due
        if late > 0:
            offset += late
            due += late
        start = due
        for index, cue in enumerate(moment.transition.say):
            clip = clips[cue.spoken]
            placement = Placement(cue=cue, due=due, start=start, clip=clip)
            if index == 0 and late > 0:
                pushes.append(Push(placement, late))
            placements.append(placement)
            start = cursor = placement.end
    return placements, pushes


def write_wav(path: Path, placements: Sequence[Placement], framerate: int) -> int:
    """Write the timeline as one mono 16-bit WAV (atomically); returns its frame count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    position = 0
    try:
        with os.fdopen(handle, "wb") as raw, wave.open(raw, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(framerate)
            for placement in placements:
                gap = placement.start - position
                while gap > 0:
                    chunk = min(gap, SILENCE_CHUNK_FRAMES)
                    out.writeframes(b"\x00\x00" * chunk)
                    gap -= chunk
                out.writeframes(placement.clip.frames)
                position = placement.end
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return position


@dataclass(frozen=True)
class Rendered:
    path: Path
    frames: int
    framerate: int
    placements: List[Placement]
    pushes: List[Push]

    @property
    def seconds(self) -> float:
        return self.frames / self.framerate

    @property
    def drift_seconds(self) -> float:
        return sum(push.frames for push in self.pushes) / self.framerate


def render(
    routine_id: str,
    output: Path,
    hold: int | None = None,
    synth: SpeechSynthesizer | None = None,
    machine: RoutineMachine | None = None,
    services: Services | None = None,
) -> Rendered:
    """Render ``routine_id`` to ``output``. Raises ``ValueError`` (unknown routine,
    hold out of range), ``SpeechError`` (no audio) or ``OSError`` (cannot write).

    The machine and the voice not given come from ``services`` (by default, one
    built from the environment)."""
    if hold is not None and valid_hold(hold) != hold:
        raise ValueError(hold_error(hold))
    services = services or Services()
    moments = drive(machine or services.machine, routine_id, hold)
    final = moments[-1].transition.state
    if final.status is not Status.FINISHED:
        raise RuntimeError(f"routine {routine_id!r} ended {final.status.value}, not finished")
    texts = [cue.spoken for moment in moments for cue in moment.transition.say]
    clips = synthesize_clips(synth or espeak_voice(services.settings), texts)
    framerate = next(iter(clips.values())).framerate
    placements, pushes = lay_out(moments, clips, framerate)
    frames = write_wav(output, placements, framerate)
    return Rendered(output, frames, framerate, placements, pushes)


# ---------------------------------------------------------------------------
# Command line


def hold_error(value: float) -> str:
    return (
        f"--hold must be a number of seconds from {MIN_HOLD_SECONDS} to {MAX_HOLD_SECONDS}, "
        f"not {value:g}"
    )


def clock(frames: int, framerate: int) -> str:
    seconds = frames / framerate
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def describe(rendered: Rendered, elapsed: float) -> List[str]:
    rate = rendered.framerate
    size = rendered.path.stat().st_size
    lines = [
        f"wrote {rendered.path}: {clock(rendered.frames, rate)} ({rendered.seconds:.1f} s), "
        f"{size / 1e6:.1f} MB, {len(rendered.placements)} cues, {rate} Hz mono 16-bit, "
        f"in {elapsed:.2f} s; "
        + (
            f"drift {rendered.drift_seconds:.1f} s ({len(rendered.pushes)} cue(s) pushed back)"
            if rendered.pushes
            else "no drift"
        )
    ]
    for push in rendered.pushes:
        placement = push.placement
        lines.append(
            f"  drift: {placement.cue.name} {placement.cue.spoken!r} was due at "
            f"{clock(placement.start - push.frames, rate)}; the audio before it ran "
            f"{push.frames / rate:.1f} s long, so it and everything after moved back"
        )
    return lines


def timeline(rendered: Rendered) -> List[str]:
    rate = rendered.framerate
    return [
        f"  {clock(p.start, rate)}-{clock(p.end, rate)}  {p.cue.name:<16} {p.cue.spoken}"
        for p in rendered.placements
    ]


def main(argv: Sequence[str] | None = None, library: RoutineLibrary | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coach.tools.render_routine",
        description="Render a whole guided routine to one WAV file (offline espeak-ng voice).",
    )
    parser.add_argument("routine", nargs="?", help="routine id (see --list)")
    parser.add_argument("-o", "--output", type=Path, help="the WAV file to write")
    parser.add_argument(
        "--hold",
        type=float,
        help=f"seconds for every hold ({MIN_HOLD_SECONDS}-{MAX_HOLD_SECONDS}); "
        "default: each step's own",
    )
    parser.add_argument("--list", action="store_true", help="print the routine ids and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the timeline")
    args = parser.parse_args(argv)

    services = Services() if library is None else Services(routines=library)
    try:
        library = services.routines
        ids = library.ids()
    except SettingError as exc:
        print(f"error: configuration: {exc}", file=sys.stderr)
        return 1
    except (ContentError, OSError) as exc:
        print(f"error: cannot load the routines: {exc}", file=sys.stderr)
        return 1
    if args.list:
        for routine_id in ids:
            routine = library.get(routine_id)
            print(f"{routine_id}\t{routine.title if routine else ''}")
        return 0
    if not args.routine:
        parser.error("give a routine id (see --list)")
    if args.routine not in ids:
        parser.error(f"unknown routine {args.routine!r}; known: {', '.join(ids)}")
    if args.output is None:
        parser.error("give the WAV file to write with -o/--output")
    hold = None
    if args.hold is not None:
        hold = valid_hold(args.hold)
        if hold is None:
            parser.error(hold_error(args.hold))

    began = time.monotonic()
    try:
        rendered = render(args.routine, args.output, hold, services=services)
    except (SpeechError, OSError, RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - began
    print("\n".join(describe(rendered, elapsed)))
    if args.verbose:
        print("\n".join(timeline(rendered)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
