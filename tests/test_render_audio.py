"""The audio tools: a whole routine rendered to one WAV file, and the cache prerendered.

espeak-ng runs for real. gTTS is never used: ``render_routine`` speaks with espeak-ng
only, and ``prerender_audio`` runs with ``PSOAS_TTS_ENGINES=espeak`` or an injected
service, so these tests never touch the network.
"""

from __future__ import annotations

import array
import io
import itertools
import math
import os
import re
import shutil
import subprocess
import sys
import wave
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from coach.routine.library import YamlRoutineLibrary
from coach.routine.machine import RoutineMachine
from coach.routine.model import CUE_PLACEHOLDERS, RoutineState
from coach.speech.tts.base import MEDIA_TYPES, Audio, SpeechError, SpeechSynthesizer
from coach.speech.tts.cache import AudioCache
from coach.speech.tts.fallback import FallbackSynthesizer
from coach.speech.tts.service import SpeechService
from coach.tools import prerender_audio, render_routine

ROOT = Path(__file__).resolve().parent.parent
ROUTINES_YML = ROOT / "content" / "routines.yml"
KNEE = "knee_to_chest_stretch"
HOLD = 5
RATE = 22050

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def run(module: str, *args: str, env: Dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PSOAS_TTS_ENGINES": "espeak", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def timeline(routine_id: str, hold: int | None) -> List[Tuple[float, List[str], RoutineState]]:
    """The machine's own timeline, driven here independently of the script:
    (time, cue names said, state after) for every moment something is said."""
    machine = RoutineMachine(YamlRoutineLibrary(ROUTINES_YML))
    transition = machine.start(RoutineState(), 0.0, routine_id, hold)
    moments = [(0.0, transition.cue_names, transition.state)]
    pending: List[Tuple[float, str, int]] = []
    at = 0.0
    while True:
        if transition.cancel_previous:
            pending.clear()
        pending += [(at + s.delay_seconds, s.cue_name, s.generation) for s in transition.schedule]
        pending.sort()
        if not pending:
            return [m for m in moments if m[1]]
        at, name, generation = pending.pop(0)
        transition = machine.timer_fired(transition.state, at, name, generation)
        moments.append((at, transition.cue_names, transition.state))


def samples(path: Path) -> Tuple[array.array, int]:
    with wave.open(str(path)) as audio:
        assert audio.getnchannels() == 1
        assert audio.getsampwidth() == 2
        assert audio.getcomptype() == "NONE"
        rate = audio.getframerate()
        data = array.array("h", audio.readframes(audio.getnframes()))
    assert sys.byteorder == "little"
    return data, rate


def window(data: array.array, rate: int, start: float, end: float) -> array.array:
    return data[round(start * rate) : round(end * rate)]


def rms(values: array.array) -> float:
    return math.sqrt(sum(v * v for v in values) / len(values)) if values else 0.0


# ---------------------------------------------------------------------------
# render_routine


@pytest.fixture(scope="module")
def knee_wav(tmp_path_factory) -> Tuple[Path, str]:
    if shutil.which("espeak-ng") is None:
        pytest.skip("needs espeak-ng")
    out = tmp_path_factory.mktemp("render") / "stretch.wav"
    done = run("coach.tools.render_routine", KNEE, "-o", str(out), "--hold", str(HOLD))
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_the_render_is_one_valid_mono_16_bit_wav(knee_wav):
    path, stdout = knee_wav
    with wave.open(str(path)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth()) == (1, 2)
        assert audio.getframerate() in (16000, 22050, 24000, 44100, 48000)
        frames = audio.getnframes()
    # the header tells the truth: the data chunk fills the rest of the file
    assert path.stat().st_size == 44 + frames * 2
    assert f"wrote {path}" in stdout
    assert "no drift" in stdout


def test_the_render_lasts_the_whole_routine(knee_wav):
    path, _ = knee_wav
    data, rate = samples(path)
    seconds = len(data) / rate
    moments = timeline(KNEE, HOLD)
    holds = sum(1 for _, names, _ in moments if "hold_start" in names) * HOLD
    assert holds == 2 * HOLD
    last_cue_at = moments[-1][0]
    assert seconds >= holds
    assert seconds > last_cue_at  # the last cue (release, then "well done") is in it
    assert seconds < last_cue_at + 15  # and not much after it
    assert seconds < 120  # two 5-second holds, not minutes of anything


def test_cues_sound_at_their_times_and_the_holds_are_silent(knee_wav):
    path, _ = knee_wav
    data, rate = samples(path)
    moments = timeline(KNEE, HOLD)
    # speech at the very moment each cue is due (the timeline has no drift)
    for at, names, _ in moments:
        assert rms(window(data, rate, at + 0.02, at + 0.5)) > 300, (at, names)
    # real silence (exact zeros) for every hold, and while getting into position
    silent = 0
    for at, _, state in moments:
        if state.hold_started_at is None:
            continue
        segment = state.hold_seconds or 8  # a setup step: settle_seconds
        begins, ends = state.hold_started_at, state.hold_started_at + segment
        quiet = window(data, rate, begins + 0.05, ends - 0.05)
        assert len(quiet) > (segment - 0.2) * rate
        assert max(abs(v) for v in quiet) <= 64, (at, begins, ends)
        silent += 1
    assert silent == 3  # lie down, right hold, left hold


def test_the_holds_end_when_the_machine_says(knee_wav):
    path, _ = knee_wav
    data, rate = samples(path)
    moments = timeline(KNEE, HOLD)
    releases = [at for at, names, _ in moments if "release" in names]
    hold_starts = [s.hold_started_at for _, names, s in moments if "hold_start" in names]
    assert len(releases) == 2
    for started, released in zip(hold_starts, releases, strict=True):
        assert started is not None
        assert released == pytest.approx(started + HOLD)
        assert rms(window(data, rate, released - 0.5, released - 0.05)) == 0
        assert rms(window(data, rate, released + 0.02, released + 0.5)) > 300


@needs_espeak
def test_render_api_places_the_cues_in_order_without_overlap(tmp_path):
    rendered = render_routine.render(KNEE, tmp_path / "knee.wav")  # the default 30 s holds
    names = [p.cue.name for p in rendered.placements]
    assert names.count("halfway") == 2 and names.count("ten_seconds_left") == 2
    assert names[-2:] == ["release", "routine_done"]
    for before, after in itertools.pairwise(rendered.placements):
        assert after.start >= before.end
        assert after.start >= after.due
    assert rendered.pushes == []
    assert rendered.seconds > 60


class ToneSynth(SpeechSynthesizer):
    """WAV audio of a fixed length per text (a plain tone); no espeak, no network."""

    def __init__(self, seconds: Dict[str, float], default: float = 0.5) -> None:
        self.seconds = seconds
        self.default = default

    @property
    def engine(self) -> str:
        return "tone"

    def voice_key(self) -> str:
        return "tone"

    def synthesize(self, text: str) -> Audio:
        length = round(self.seconds.get(text, self.default) * RATE)
        frames = array.array("h", (8000 if i % 40 < 20 else -8000 for i in range(length)))
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(frames.tobytes())
        return Audio(buffer.getvalue(), MEDIA_TYPES["wav"], "wav")


def test_a_cue_longer_than_its_gap_pushes_the_rest_back(tmp_path):
    # "Halfway." lasting 8 s runs 3 s into "Ten seconds left." (due 5 s after it)
    synth = ToneSynth({"Halfway.": 8.0})
    rendered = render_routine.render(KNEE, tmp_path / "long.wav", hold=30, synth=synth)
    placements = rendered.placements
    for before, after in itertools.pairwise(placements):
        assert after.start >= before.end  # never overlapping
    pushed = [(p.placement.cue.name, p.frames / RATE) for p in rendered.pushes]
    assert pushed == [("ten_seconds_left", pytest.approx(3.0)), ("ten_seconds_left", 3.0)]
    assert rendered.drift_seconds == pytest.approx(6.0)
    # the holds keep their length: release still comes 10 s after "ten seconds left"
    starts = {}
    for p in placements:
        starts.setdefault(p.cue.name, []).append(p.start / RATE)
    for ten, release in zip(starts["ten_seconds_left"], starts["release"], strict=True):
        assert release - ten == pytest.approx(10.0, abs=0.001)
    summary = render_routine.describe(rendered, 0.1)
    assert "drift 6.0 s (2 cue(s) pushed back)" in summary[0]
    assert "ten_seconds_left" in summary[1]


def test_unknown_routine_is_refused_with_the_known_ids(tmp_path):
    out = tmp_path / "x.wav"
    done = run("coach.tools.render_routine", "no_such_routine", "-o", str(out))
    assert done.returncode != 0
    assert "unknown routine 'no_such_routine'" in done.stderr
    assert KNEE in done.stderr
    assert not out.exists()


@pytest.mark.parametrize("hold", ["4", "181", "nan", "-30", "soon"])
def test_bad_holds_are_refused(tmp_path, hold):
    out = tmp_path / "x.wav"
    done = run("coach.tools.render_routine", KNEE, "-o", str(out), f"--hold={hold}")
    assert done.returncode != 0
    assert "--hold" in done.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_list_prints_the_routine_ids():
    done = run("coach.tools.render_routine", "--list")
    assert done.returncode == 0, done.stderr
    ids = [line.split("\t")[0] for line in done.stdout.splitlines()]
    assert ids == YamlRoutineLibrary(ROUTINES_YML).ids()


def test_drive_matches_the_machines_timeline():
    moments = render_routine.drive(RoutineMachine(YamlRoutineLibrary(ROUTINES_YML)), KNEE, HOLD)
    said = [(m.at, m.transition.cue_names) for m in moments if m.transition.say]
    assert said == [(at, names) for at, names, _ in timeline(KNEE, HOLD)]
    with pytest.raises(ValueError, match="unknown routine"):
        render_routine.drive(RoutineMachine(YamlRoutineLibrary(ROUTINES_YML)), "nope")


# ---------------------------------------------------------------------------
# prerender_audio

SUMMARY = re.compile(
    r"prerender: (\d+) texts, (\d+) newly rendered.*?, (\d+) already cached, (\d+) failed"
)


def counts(stdout: str) -> Tuple[int, int, int, int]:
    match = SUMMARY.search(stdout)
    assert match, stdout
    texts, new, cached, failed = (int(g) for g in match.groups())
    return texts, new, cached, failed


@needs_espeak
def test_prerender_is_idempotent(tmp_path):
    env = {"PSOAS_AUDIO_DIR": str(tmp_path), "PSOAS_TTS_ENGINES": "espeak"}
    first = run("coach.tools.prerender_audio", env=env)
    assert first.returncode == 0, first.stderr
    texts, new, cached, failed = counts(first.stdout)
    assert texts > 30 and new == texts and cached == 0 and failed == 0
    assert "espeak" in first.stdout
    files = sorted(tmp_path.glob("*.wav"))
    assert len(files) == texts
    stamps = {f: f.stat().st_mtime_ns for f in files}

    second = run("coach.tools.prerender_audio", env=env)
    assert second.returncode == 0, second.stderr
    assert counts(second.stdout) == (texts, 0, texts, 0)
    assert {f: f.stat().st_mtime_ns for f in tmp_path.glob("*.wav")} == stamps


def test_prerender_covers_every_cue_with_the_default_numbers_only():
    library = YamlRoutineLibrary(ROUTINES_YML)
    cues = prerender_audio.collect_cues(RoutineMachine(library), library)
    spoken = [cue.spoken for cue in cues]
    assert len(spoken) == len(set(spoken))
    assert {cue.name for cue in cues} >= set(CUE_PLACEHOLDERS) | {"intro", "safety", "step"}
    for routine_id in library.ids():
        routine = library.get(routine_id)
        assert routine is not None
        for cue in (routine.intro, routine.safety, *(step.cue() for step in routine.steps)):
            assert cue.spoken in spoken
    numbered = {c.spoken for c in cues if c.name in ("time_left", "hold_start", "massage_start")}
    assert numbered == {
        "30 seconds left.",
        "20 seconds left.",
        "Hold for 30 seconds.",
        "Hold for 20 seconds.",
        "Keep going for 30 seconds.",
    }


def test_prerender_collects_what_a_run_says():
    library = YamlRoutineLibrary(ROUTINES_YML)
    machine = RoutineMachine(library)
    spoken = {c.spoken for c in prerender_audio.collect_cues(machine, library)}
    for routine_id in library.ids():
        for moment in render_routine.drive(machine, routine_id):
            for cue in moment.transition.say:
                assert cue.spoken in spoken


class FakeSynth(SpeechSynthesizer):
    def __init__(self, name: str, failing: bool = False) -> None:
        self.name = name
        self.failing = failing
        self.calls = 0

    @property
    def engine(self) -> str:
        return self.name

    def voice_key(self) -> str:
        return "v"

    def synthesize(self, text: str) -> Audio:
        self.calls += 1
        if self.failing:
            raise SpeechError(f"{self.name} is down")
        return Audio(text.encode(), MEDIA_TYPES["wav"], "wav")


def test_prerender_succeeds_when_the_fallback_renders_everything(tmp_path, capsys):
    online, offline = FakeSynth("online", failing=True), FakeSynth("offline")
    service = SpeechService(FallbackSynthesizer([online, offline]), AudioCache(tmp_path))
    assert prerender_audio.main(["--jobs", "1"], service=service) == 0
    out = capsys.readouterr()
    texts, new, _, failed = counts(out.out)
    assert new == texts == offline.calls and failed == 0
    assert online.calls == 1  # then skipped for the cool-down
    assert "fallback engine" in out.err
    # and a second run finds them all, whichever engine made them
    assert prerender_audio.main([], service=service) == 0
    assert counts(capsys.readouterr().out) == (texts, 0, texts, 0)


def test_prerender_fails_when_a_text_cannot_be_rendered(tmp_path, capsys):
    service = SpeechService(FakeSynth("down", failing=True), AudioCache(tmp_path))
    assert prerender_audio.main(["--jobs", "2"], service=service) == 1
    out = capsys.readouterr()
    texts, new, cached, failed = counts(out.out)
    assert failed == texts and new == cached == 0
    assert "down is down" in out.err


def test_prerender_dry_run_renders_nothing(tmp_path, capsys):
    service = SpeechService(FakeSynth("never"), AudioCache(tmp_path / "audio"))
    assert prerender_audio.main(["--dry-run"], service=service) == 0
    assert "Hold for 30 seconds." in capsys.readouterr().out
    assert not (tmp_path / "audio").exists()


def test_summary_is_one_line(tmp_path):
    service = SpeechService(FakeSynth("e"), AudioCache(tmp_path))
    library = YamlRoutineLibrary(ROUTINES_YML)
    cues = prerender_audio.collect_cues(RoutineMachine(library), library)
    outcomes = prerender_audio.prerender(service, cues)
    line = prerender_audio.summary(outcomes, 0.25, str(tmp_path))
    assert "\n" not in line
    assert counts(line) == (len(cues), len(cues), 0, 0)
