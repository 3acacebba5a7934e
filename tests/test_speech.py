"""Speech output: the engines, the fallback chain, the audio cache and safe file lookup.

gTTS is always mocked (these tests never touch the network); espeak-ng runs for real.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path
from typing import List

import pytest

from coach.speech.tts import service as speech
from coach.speech.tts.service import (
    MEDIA_TYPES,
    Audio,
    AudioCache,
    EspeakSynthesizer,
    FallbackSynthesizer,
    GTTSSynthesizer,
    SpeechError,
    SpeechService,
    SpeechSynthesizer,
    build_synthesizer_from_env,
    get_speech_service,
    resolve_audio_file,
    set_speech_service,
)

ROOT = Path(__file__).resolve().parent.parent


class FakeSynth(SpeechSynthesizer):
    """A counting stand-in engine; fails while ``failing`` is set."""

    def __init__(self, name: str, voice: str = "v1", extension: str = "wav") -> None:
        self.name = name
        self.voice = voice
        self.extension = extension
        self.failing = False
        self.calls: List[str] = []

    @property
    def engine(self) -> str:
        return self.name

    def voice_key(self) -> str:
        return f"voice={self.voice}"

    def synthesize(self, text: str) -> Audio:
        self.calls.append(text)
        if self.failing:
            raise SpeechError(f"{self.name} is down")
        return Audio(
            data=f"{self.name}:{self.voice}:{text}".encode(),
            media_type=MEDIA_TYPES[self.extension],
            extension=self.extension,
        )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as audio:
        return audio.getnframes() / audio.getframerate()


# --- import is light -----------------------------------------------------------


def test_importing_the_module_does_not_import_gtts():
    code = "import sys, coach.speech.tts.service; assert 'gtts' not in sys.modules, 'gtts imported'"
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
    monkeypatch.setattr(speech.time, "monotonic", clock)

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
    with caplog.at_level(logging.DEBUG, logger="coach.speech.tts.service"):
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
    with caplog.at_level(logging.INFO, logger="coach.speech.tts.service"):
        assert chain.synthesize_with_engine("b")[0] is first
    assert any("works again" in r.getMessage() for r in caplog.records)
    # a new outage is warned about again
    first.failing = True
    with caplog.at_level(logging.WARNING, logger="coach.speech.tts.service"):
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


# --- cache ---------------------------------------------------------------------


def test_cache_hit_does_not_call_the_engine(tmp_path):
    cache, synth = AudioCache(tmp_path / "audio"), FakeSynth("espeak")
    assert not (tmp_path / "audio").exists()  # created lazily
    first = cache.get(synth, "Breathe out.")
    again = cache.get(synth, "Breathe out.")
    assert synth.calls == ["Breathe out."]
    assert (first.hit, again.hit) == (False, True)
    assert first.path == again.path
    assert first.name == first.path.name
    assert first.media_type == "audio/wav"
    assert first.path.read_bytes() == b"espeak:v1:Breathe out."
    assert resolve_audio_file(cache.root, first.name) == first.path.resolve()


def test_cache_keys_differ_by_text_voice_and_engine(tmp_path):
    cache = AudioCache(tmp_path)
    names = {
        cache.get(FakeSynth("espeak"), "one").name,
        cache.get(FakeSynth("espeak"), "two").name,
        cache.get(FakeSynth("espeak", voice="v2"), "one").name,
        cache.get(FakeSynth("gtts", extension="mp3"), "one").name,
    }
    assert len(names) == 4
    for name in names:
        assert resolve_audio_file(tmp_path, name) is not None


def test_cache_writes_atomically(tmp_path):
    cache = AudioCache(tmp_path)
    for i in range(5):
        cache.get(FakeSynth("espeak"), f"cue {i}")
    files = sorted(os.listdir(tmp_path))
    assert len(files) == 5
    assert all(speech.AUDIO_FILE_NAME.fullmatch(f) for f in files), files


def test_cache_does_not_store_failures(tmp_path):
    synth = FakeSynth("espeak")
    synth.failing = True
    with pytest.raises(SpeechError):
        AudioCache(tmp_path).get(synth, "hello")
    assert os.listdir(tmp_path) == []


def test_audio_cached_while_gtts_was_down_is_found_without_synthesizing(tmp_path):
    cache = AudioCache(tmp_path)
    gtts, espeak = FakeSynth("gtts", extension="mp3"), FakeSynth("espeak")
    gtts.failing = True
    stored = cache.get(FallbackSynthesizer([gtts, espeak]), "Hold for thirty seconds.")
    assert (stored.engine, stored.hit) == ("espeak", False)
    assert stored.name == f"{AudioCache.key(espeak, 'Hold for thirty seconds.')}.wav"

    # later (a restart: fresh cool-down state) the cue is served from the cache
    gtts.calls.clear()
    espeak.calls.clear()
    found = cache.get(FallbackSynthesizer([gtts, espeak]), "Hold for thirty seconds.")
    assert (found.path, found.hit) == (stored.path, True)
    assert gtts.calls == [] and espeak.calls == []

    # the first engine's file is preferred when both exist
    gtts.failing = False
    preferred = cache.get(gtts, "Hold for thirty seconds.")
    chosen = cache.get(FallbackSynthesizer([gtts, espeak]), "Hold for thirty seconds.")
    assert (chosen.path, chosen.engine, chosen.media_type) == (
        preferred.path,
        "gtts",
        "audio/mpeg",
    )


# --- resolve_audio_file ----------------------------------------------------------


def test_resolve_audio_file_refuses_anything_but_a_cached_name(tmp_path):
    root = tmp_path / "audio"
    cached = AudioCache(root).get(FakeSynth("espeak"), "hello")
    assert resolve_audio_file(root, cached.name) == cached.path.resolve()

    secret = tmp_path / "secret.wav"
    secret.write_bytes(b"RIFF")
    outside = "a" * 64 + ".wav"
    (root / outside).symlink_to(secret)
    missing = "b" * 64 + ".mp3"
    for name in [
        "../../etc/passwd",
        "/etc/passwd",
        "%2e%2e/x",
        "%2e%2e%2f" + cached.name,
        "../" + cached.name,
        cached.name.upper().replace(".WAV", ".wav"),
        cached.name[:-3] + "ogg",
        cached.name + "\n",
        cached.name[1:],
        outside,
        missing,
        "",
    ]:
        assert resolve_audio_file(root, name) is None, name
    assert resolve_audio_file(tmp_path / "no-such-root", cached.name) is None


# --- configuration -------------------------------------------------------------


def test_build_synthesizer_from_env_defaults():
    synth = build_synthesizer_from_env({})
    assert isinstance(synth, FallbackSynthesizer)
    gtts, espeak = synth.candidates()
    assert isinstance(gtts, GTTSSynthesizer) and isinstance(espeak, EspeakSynthesizer)
    assert (gtts.lang, gtts.tld, gtts.slow) == ("en", "com", False)
    assert (espeak.voice, espeak.speed) == ("en-us", 160)


def test_build_synthesizer_from_env_order_and_options():
    synth = build_synthesizer_from_env(
        {
            "PSOAS_TTS_ENGINES": " espeak , gtts ",
            "PSOAS_TTS_LANG": "en",
            "PSOAS_TTS_TLD": "co.uk",
            "PSOAS_TTS_SLOW": "true",
            "PSOAS_ESPEAK_VOICE": "en-gb",
            "PSOAS_ESPEAK_SPEED": "140",
        }
    )
    espeak, gtts = synth.candidates()
    assert isinstance(espeak, EspeakSynthesizer) and isinstance(gtts, GTTSSynthesizer)
    assert (espeak.voice, espeak.speed) == ("en-gb", 140)
    assert (gtts.lang, gtts.tld, gtts.slow) == ("en", "co.uk", True)
    assert synth.engine == "espeak"
    single = build_synthesizer_from_env({"PSOAS_TTS_ENGINES": "espeak"})
    assert isinstance(single, EspeakSynthesizer)


@pytest.mark.parametrize(
    "env",
    [
        {"PSOAS_TTS_ENGINES": "gtts,festival"},
        {"PSOAS_TTS_ENGINES": " , "},
        {"PSOAS_TTS_ENGINES": "espeak,espeak"},
        {"PSOAS_TTS_SLOW": "maybe"},
        {"PSOAS_ESPEAK_SPEED": "fast"},
    ],
)
def test_build_synthesizer_from_env_refuses_bad_settings(env):
    with pytest.raises(ValueError):
        build_synthesizer_from_env(env)


def test_unknown_engine_error_names_it():
    with pytest.raises(ValueError, match="festival"):
        build_synthesizer_from_env({"PSOAS_TTS_ENGINES": "festival"})


def test_speech_service_is_built_lazily_and_replaceable(tmp_path, monkeypatch):
    monkeypatch.setenv("PSOAS_TTS_ENGINES", "espeak")
    monkeypatch.setenv("PSOAS_AUDIO_DIR", str(tmp_path / "audio"))
    set_speech_service(None)
    try:
        service = get_speech_service()
        assert get_speech_service() is service
        assert isinstance(service.synthesizer, EspeakSynthesizer)
        assert service.cache.root == tmp_path / "audio"
        fake = SpeechService(FakeSynth("espeak"), AudioCache(tmp_path / "fake"))
        set_speech_service(fake)
        assert get_speech_service() is fake
        assert get_speech_service().speak("hi").path.read_bytes() == b"espeak:v1:hi"
    finally:
        set_speech_service(None)
