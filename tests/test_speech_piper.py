"""Piper, the offline neural voice: the real packaged voice, and how it fails."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import pytest

from coach.speech.tts.base import SpeechError
from coach.speech.tts.fallback import FallbackSynthesizer
from coach.speech.tts.piper import PiperSynthesizer
from tests.support.tts import FakeSynth


@pytest.fixture(scope="module")
def piper() -> PiperSynthesizer:
    return PiperSynthesizer()  # loads once for the module (about 1.5 s)


def test_the_packaged_voice_speaks_a_cue_as_wav(piper: PiperSynthesizer):
    audio = piper.synthesize("Bring your right knee towards your chest.")
    assert (audio.extension, audio.media_type) == ("wav", "audio/wav")
    with wave.open(io.BytesIO(audio.data)) as clip:
        seconds = clip.getnframes() / clip.getframerate()
        assert clip.getnchannels() == 1 and clip.getframerate() == 22050
    assert 1.0 < seconds < 6.0  # seven words, said at a person's pace


def test_its_cache_key_names_the_engine_and_voice(piper: PiperSynthesizer):
    assert (piper.engine, piper.voice_key()) == ("piper", "voice=en_US-joe-medium")


def test_empty_text_is_refused(piper: PiperSynthesizer):
    with pytest.raises(SpeechError):
        piper.synthesize("   ")


def test_a_missing_voice_file_is_a_speech_error(tmp_path: Path):
    with pytest.raises(SpeechError, match="no piper voice"):
        PiperSynthesizer(tmp_path / "nothing.onnx").synthesize("Hello.")


def test_a_broken_voice_file_is_a_speech_error(tmp_path: Path):
    model = tmp_path / "broken.onnx"
    model.write_bytes(b"not a model")
    Path(f"{model}.json").write_text("{}", encoding="utf-8")
    with pytest.raises(SpeechError, match="could not load"):
        PiperSynthesizer(model).synthesize("Hello.")


def test_a_dead_piper_hands_over_to_the_next_engine(tmp_path: Path):
    espeak = FakeSynth("espeak")
    chain = FallbackSynthesizer([PiperSynthesizer(tmp_path / "nothing.onnx"), espeak])
    engine, audio = chain.synthesize_with_engine("Ten seconds left.")
    assert engine is espeak and audio.data.startswith(b"espeak:")


def test_without_variation_the_same_text_gives_the_same_samples():
    steady = PiperSynthesizer(varied=False)
    assert (
        steady.synthesize("Hold for thirty seconds.").data
        == steady.synthesize("Hold for thirty seconds.").data
    )
