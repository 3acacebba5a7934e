"""Speech output engines: gTTS, espeak-ng and the fallback chain.

gTTS is always mocked (these tests never touch the network); espeak-ng runs for real.
The cache, safe file lookup and configuration are in ``test_speech_cache.py``.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import sys
import wave
from pathlib import Path
from typing import List

import pytest

from coach.speech.tts import gtts as gtts_engine
from coach.speech.tts.base import Audio, SpeechError
from coach.speech.tts.espeak import EspeakSynthesizer
from coach.speech.tts.fallback import FallbackSynthesizer
from coach.speech.tts.gtts import GTTSSynthesizer
from tests.support.tts import Clock, FakeSynth

ROOT = Path(__file__).resolve().parent.parent
TTS_MODULES = ("base", "gtts", "piper", "espeak", "fallback", "cache", "service")


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as audio:
        return audio.getnframes() / audio.getframerate()


# --- import is light -----------------------------------------------------------


def test_importing_the_modules_does_not_import_gtts():
    modules = ", ".join(f"coach.speech.tts.{name}" for name in TTS_MODULES)
    code = (
        f"import sys, {modules}; "
        "assert not {'gtts', 'piper', 'onnxruntime'} & set(sys.modules), 'an engine was imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# --- gTTS (mocked) -------------------------------------------------------------


class FakeGTTS:
    instances: List[FakeGTTS] = []

    def __init__(self, text: str, **options: object) -> None:
        self.text = text
        self.options = options
        FakeGTTS.instances.append(self)

    def write_to_fp(self, fp: io.BytesIO) -> None:
        fp.write(b"ID3")
        fp.write(b"-fake-mp3")


@pytest.fixture
def fake_gtts(monkeypatch):
    FakeGTTS.instances = []
    monkeypatch.setattr("gtts.gTTS", FakeGTTS)
    return FakeGTTS


def test_gtts_passes_the_voice_options_and_returns_mp3(fake_gtts):
    synth = GTTSSynthesizer(lang="en", tld="co.uk", slow=True, timeout=2.5)
    audio = synth.synthesize("Hold for thirty seconds.")
    assert audio == Audio(data=b"ID3-fake-mp3", media_type="audio/mpeg", extension="mp3")
    (call,) = fake_gtts.instances
    assert call.text == "Hold for thirty seconds."
    assert call.options["lang"] == "en"
    assert call.options["tld"] == "co.uk"
    assert call.options["slow"] is True
    assert call.options["timeout"] == 2.5
    assert synth.engine == "gtts"
    assert "tld=co.uk" in synth.voice_key() and "slow=True" in synth.voice_key()


def test_gtts_error_becomes_speech_error(monkeypatch):
    from gtts.tts import gTTSError

    class Broken(FakeGTTS):
        def write_to_fp(self, fp: io.BytesIO) -> None:
            raise gTTSError("Failed to connect")

    monkeypatch.setattr("gtts.gTTS", Broken)
    with pytest.raises(SpeechError, match="Failed to connect"):
        GTTSSynthesizer().synthesize("hello")


def test_gtts_other_errors_and_empty_audio_become_speech_errors(monkeypatch):
    class BadLanguage(FakeGTTS):
        def __init__(self, text: str, **options: object) -> None:
            raise ValueError("Language not supported: xx")

    monkeypatch.setattr("gtts.gTTS", BadLanguage)
    with pytest.raises(SpeechError, match="Language not supported"):
        GTTSSynthesizer(lang="xx").synthesize("hello")

    class Silent(FakeGTTS):
        def write_to_fp(self, fp: io.BytesIO) -> None:
            pass

    monkeypatch.setattr("gtts.gTTS", Silent)
    with pytest.raises(SpeechError, match="no audio"):
        GTTSSynthesizer().synthesize("hello")
    with pytest.raises(SpeechError):
        GTTSSynthesizer().synthesize("   ")


def test_gtts_gives_up_once_past_its_timeout(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(gtts_engine.time, "monotonic", clock)

    class Slow(FakeGTTS):
        def write_to_fp(self, fp: io.BytesIO) -> None:
            fp.write(b"part one")
            clock.now += 5  # the next request took too long
            fp.write(b"part two")

    monkeypatch.setattr("gtts.gTTS", Slow)
    with pytest.raises(SpeechError, match="timed out"):
        GTTSSynthesizer(timeout=3.0).synthesize("a long text in several parts")


# --- espeak-ng (real) ----------------------------------------------------------


@pytest.fixture(scope="module")
def espeak() -> EspeakSynthesizer:
    if shutil.which("espeak-ng") is None:
        pytest.fail(
            "espeak-ng is not installed: install the Debian package "
            "(apt-get install espeak-ng, or ensure_system_packages in scripts/common.sh)"
        )
    return EspeakSynthesizer()


def test_espeak_gives_a_valid_wav_of_plausible_length(espeak):
    audio = espeak.synthesize("Lie on your back and breathe out slowly.")
    assert (audio.media_type, audio.extension) == ("audio/wav", "wav")
    with wave.open(io.BytesIO(audio.data)) as parsed:
        assert parsed.getnchannels() == 1
        assert parsed.getsampwidth() == 2
        frames = parsed.getnframes()
        # the header sizes are the real ones, not espeak-ng's streaming placeholders
        assert frames * parsed.getsampwidth() <= len(audio.data)
        assert len(parsed.readframes(frames)) == frames * parsed.getsampwidth()
    assert 0.5 < wav_seconds(audio.data) < 10


def test_espeak_longer_text_gives_longer_audio(espeak):
    short = wav_seconds(espeak.synthesize("Relax.").data)
    long = espeak.synthesize("Relax, and let your knee drop slowly toward the floor.")
    assert wav_seconds(long.data) > short


def test_espeak_speaks_text_that_looks_like_options(espeak):
    audio = espeak.synthesize("-v xx --help; rm -rf / $(reboot)")
    assert wav_seconds(audio.data) > 0.5


def test_espeak_settings_and_failures(espeak, tmp_path):
    assert espeak.engine == "espeak"
    assert EspeakSynthesizer(speed=120).voice_key() != espeak.voice_key()
    with pytest.raises(SpeechError, match="not found"):
        EspeakSynthesizer(binary="no-such-espeak-binary").synthesize("hello")
    # ("no-such-voice" would not do: espeak-ng reads it as Norwegian, "no")
    with pytest.raises(SpeechError, match="voice does not exist"):
        EspeakSynthesizer(voice="nosuchvoice").synthesize("hello")
    with pytest.raises(SpeechError):
        espeak.synthesize("")
    with pytest.raises(ValueError):
        EspeakSynthesizer(speed=5)
    with pytest.raises(ValueError):
        EspeakSynthesizer(voice="--help")


def test_espeak_timeout_becomes_speech_error(tmp_path):
    slow = tmp_path / "slow-espeak"
    slow.write_text("#!/bin/sh\nexec sleep 5\n")
    slow.chmod(0o755)
    with pytest.raises(SpeechError, match="timed out"):
        EspeakSynthesizer(binary=str(slow), timeout=0.2).synthesize("hello")


# --- fallback ------------------------------------------------------------------


def test_fallback_uses_the_next_engine_and_warns_once(caplog):
    first, second = FakeSynth("gtts"), FakeSynth("espeak")
    first.failing = True
    clock = Clock()
    chain = FallbackSynthesizer([first, second], cooldown=300, clock=clock)
    assert (chain.engine, chain.voice_key()) == ("gtts", "voice=v1")
    with caplog.at_level(logging.DEBUG, logger="coach.speech.tts.fallback"):
        for i in range(3):
            engine, audio = chain.synthesize_with_engine(f"cue {i}")
            assert engine is second
            assert audio.data == f"espeak:v1:cue {i}".encode()
            clock.now += 10
        # during the cool-down the failing engine is not called again
        assert first.calls == ["cue 0"]
        clock.now += 300
        assert chain.synthesize("cue 3").data == b"espeak:v1:cue 3"
        assert first.calls == ["cue 0", "cue 3"]  # tried again after the cool-down
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "gtts" in warnings[0].getMessage()


def test_fallback_returns_to_the_first_engine_when_it_recovers(caplog):
    first, second = FakeSynth("gtts"), FakeSynth("espeak")
    first.failing = True
    clock = Clock()
    chain = FallbackSynthesizer([first, second], cooldown=300, clock=clock)
    assert chain.synthesize_with_engine("a")[0] is second
    first.failing = False
    clock.now += 301
    with caplog.at_level(logging.INFO, logger="coach.speech.tts.fallback"):
        assert chain.synthesize_with_engine("b")[0] is first
    assert any("works again" in r.getMessage() for r in caplog.records)
    # a new outage is warned about again
    first.failing = True
    with caplog.at_level(logging.WARNING, logger="coach.speech.tts.fallback"):
        caplog.clear()
        chain.synthesize("c")
    assert len(caplog.records) == 1


def test_fallback_fails_only_when_every_engine_fails():
    first, second = FakeSynth("gtts"), FakeSynth("espeak")
    first.failing = second.failing = True
    clock = Clock()
    chain = FallbackSynthesizer([first, second], clock=clock)
    with pytest.raises(SpeechError, match="every speech engine failed"):
        chain.synthesize("a")
    # all cooling down: all are tried anyway rather than giving up untried
    second.failing = False
    assert chain.synthesize_with_engine("b")[0] is second
    with pytest.raises(ValueError):
        FallbackSynthesizer([])
