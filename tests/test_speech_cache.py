"""Speech output: the audio cache, safe file lookup, and the service the settings build.

No engine runs here but stand-ins, and espeak-ng for the configured service.
"""

from __future__ import annotations

import os

import pytest

from coach.services import Services
from coach.settings import KNOWN_TTS_ENGINES, Settings
from coach.speech.tts import cache as audio_cache
from coach.speech.tts.base import SpeechError
from coach.speech.tts.cache import AudioCache, resolve_audio_file
from coach.speech.tts.espeak import EspeakSynthesizer
from coach.speech.tts.fallback import FallbackSynthesizer
from coach.speech.tts.gtts import GTTSSynthesizer
from coach.speech.tts.isolated import IsolatedSynthesizer
from coach.speech.tts.piper import PiperSynthesizer
from coach.speech.tts.service import (
    ENGINES,
    SpeechService,
    build_speech_service,
    build_synthesizer,
    build_synthesizer_from_env,
)
from tests.support.tts import FakeSynth

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
    assert all(audio_cache.AUDIO_FILE_NAME.fullmatch(f) for f in files), files


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
    gtts, piper, espeak = synth.candidates()
    assert isinstance(gtts, GTTSSynthesizer) and isinstance(espeak, EspeakSynthesizer)
    # piper speaks in a worker process, with its in-process twin's voice and cache key
    assert isinstance(piper, IsolatedSynthesizer) and piper.model is None  # the packaged voice
    assert isinstance(piper.twin, PiperSynthesizer)
    assert (piper.engine, piper.voice_key()) == ("piper", PiperSynthesizer().voice_key())
    in_process = build_synthesizer_from_env({"PSOAS_PIPER_PROCESS": "off"}).candidates()[1]
    assert isinstance(in_process, PiperSynthesizer)
    assert (gtts.lang, gtts.tld, gtts.slow) == ("en", "com", False)
    assert (espeak.voice, espeak.speed) == ("en-us", 160)
    chosen = build_synthesizer_from_env({"PSOAS_PIPER_MODEL": "/voices/en_GB-x.onnx"})
    assert chosen.candidates()[1].voice_key() == "voice=en_GB-x"


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


def test_engine_table_knows_exactly_the_engines_settings_accept():
    assert tuple(ENGINES) == KNOWN_TTS_ENGINES


def test_build_synthesizer_from_settings():
    synth = build_synthesizer(Settings(tts_engines=("espeak",), espeak_speed=140))
    assert isinstance(synth, EspeakSynthesizer) and synth.speed == 140
    with pytest.raises(ValueError, match="festival"):
        build_synthesizer(Settings(tts_engines=("festival",)))
    with pytest.raises(ValueError):
        build_synthesizer(Settings(tts_engines=()))
    with pytest.raises(ValueError):
        build_synthesizer(Settings(tts_engines=("espeak",), espeak_speed=5))


def test_speech_service_is_built_lazily_and_replaceable(tmp_path):
    settings = Settings.from_env(
        {"PSOAS_TTS_ENGINES": "espeak", "PSOAS_AUDIO_DIR": str(tmp_path / "audio")}
    )
    services = Services(settings)
    service = services.speech
    assert services.speech is service
    assert isinstance(service.synthesizer, EspeakSynthesizer)
    assert service.cache.root == tmp_path / "audio"
    assert not (tmp_path / "audio").exists()  # nothing written until something is said
    assert build_speech_service(settings).cache.root == service.cache.root
    fake = SpeechService(FakeSynth("espeak"), AudioCache(tmp_path / "fake"))
    given = Services(settings, speech=fake)
    assert given.speech is fake
    assert given.speech.speak("hi").path.read_bytes() == b"espeak:v1:hi"
