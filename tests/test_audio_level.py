"""Silence and level (coach/speech/asr/audio_input.py): what counts as nothing
said, and how a recording is prepared for the recogniser (gain, lead-in,
noise floor), on espeak-ng speech made at test time.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from coach.speech.asr import audio_input
from coach.speech.asr.audio_input import (
    LEAD_IN_SECONDS,
    MAX_GAIN,
    SAMPLE_RATE,
    TARGET_SPEECH_RMS,
    Pcm,
    decode_wav,
    frame_levels,
    is_silent,
    prepare_for_recognition,
)
from tests.support.audio import rms, samples_of

# --- silence, level ---------------------------------------------------------------


def pcm_of(audio: np.ndarray) -> Pcm:
    return Pcm(np.clip(np.round(audio), -32768, 32767).astype("<i2").tobytes())


@pytest.fixture(scope="module")
def speech() -> Pcm:
    if shutil.which("espeak-ng") is None:
        pytest.skip("no espeak-ng")
    out = subprocess.run(
        ["espeak-ng", "-v", "en-us", "--stdout", "how do I stretch my psoas"],
        capture_output=True,
        check=True,
    ).stdout
    return decode_wav(out)


def test_silence_is_silent(speech: Pcm):
    assert is_silent(Pcm(b""))
    assert is_silent(pcm_of(np.zeros(SAMPLE_RATE)))
    # a quiet room: a faint hiss well under the threshold
    assert is_silent(pcm_of(np.random.default_rng(1).normal(0, 15, SAMPLE_RATE * 2)))
    assert not is_silent(speech)
    # even very quiet speech (-40 dB) is not silence
    assert not is_silent(pcm_of(samples_of(speech) / 100))


def test_one_short_sound_in_silence_is_not_silent():
    audio = np.zeros(SAMPLE_RATE * 2)
    audio[16000:16480] = 2000 * np.sin(np.arange(480))
    assert not is_silent(pcm_of(audio))


def test_frame_levels_are_30ms_rms():
    levels = frame_levels(pcm_of(np.full(480 * 3, 100.0)).samples)
    assert levels == pytest.approx([100.0, 100.0, 100.0])
    assert frame_levels(b"") == []
    assert frame_levels(pcm_of(np.full(100, 50.0)).samples) == pytest.approx([50.0])


def loud_level(samples: bytes) -> float:
    return float(np.percentile(frame_levels(samples), 90))


def without_lead_in(prepared: bytes) -> bytes:
    return prepared[int(SAMPLE_RATE * LEAD_IN_SECONDS) * 2 :]


def test_prepare_lifts_quiet_speech_to_the_target_level(speech: Pcm):
    quiet = pcm_of(samples_of(speech) / 10)  # about -20 dB
    prepared = prepare_for_recognition(quiet.samples)
    assert loud_level(quiet.samples) < TARGET_SPEECH_RMS / 5
    assert loud_level(without_lead_in(prepared)) == pytest.approx(TARGET_SPEECH_RMS, rel=0.1)


def test_prepare_brings_loud_speech_down(speech: Pcm):
    loud = pcm_of(samples_of(speech) * 3)
    prepared = prepare_for_recognition(loud.samples)
    assert loud_level(without_lead_in(prepared)) == pytest.approx(TARGET_SPEECH_RMS, rel=0.1)


def test_prepare_caps_the_gain(speech: Pcm):
    # -60 dB: lifting it to the target would need 100x; it gets MAX_GAIN at most
    whisper = samples_of(speech) / 1000
    prepared = prepare_for_recognition(pcm_of(whisper).samples)
    expected = loud_level(pcm_of(whisper).samples) * MAX_GAIN
    assert loud_level(without_lead_in(prepared)) < TARGET_SPEECH_RMS / 2
    # what comes out is the capped gain plus the noise floor, no more
    noise_floor = TARGET_SPEECH_RMS * audio_input.NOISE_FLOOR_RATIO
    assert loud_level(without_lead_in(prepared)) <= np.hypot(expected, noise_floor) * 1.2


def test_prepare_puts_a_quiet_lead_in_before_the_speech(speech: Pcm):
    prepared = prepare_for_recognition(speech.samples)
    lead = int(SAMPLE_RATE * LEAD_IN_SECONDS)
    assert len(prepared) == len(speech.samples) + 2 * lead
    lead_in = np.frombuffer(prepared[: 2 * lead], dtype="<i2")
    # only the faint noise floor: about 28 dB under the speech
    assert rms(lead_in) == pytest.approx(TARGET_SPEECH_RMS * audio_input.NOISE_FLOOR_RATIO, rel=0.2)


def test_prepare_fills_digital_silence_with_a_noise_floor():
    prepared = prepare_for_recognition(pcm_of(np.zeros(SAMPLE_RATE)).samples)
    audio = np.frombuffer(prepared, dtype="<i2")
    assert np.count_nonzero(audio) > 0.9 * audio.size
    assert rms(audio) < 200  # and silence stays quiet: no gain without a signal


def test_prepare_is_deterministic_for_a_seed(speech: Pcm):
    assert prepare_for_recognition(speech.samples, seed=3) == prepare_for_recognition(
        speech.samples, seed=3
    )
    assert prepare_for_recognition(speech.samples, seed=3) != prepare_for_recognition(
        speech.samples, seed=4
    )
    assert prepare_for_recognition(b"") == b""
    assert prepare_for_recognition(b"\x01") == b""


def test_prepare_never_wraps_around():
    square = np.where(np.arange(SAMPLE_RATE) % 40 < 20, 32767.0, -32768.0)
    prepared = np.frombuffer(prepare_for_recognition(pcm_of(square).samples), dtype="<i2")
    # brought down to the target, so neither clipped nor wrapped
    assert np.abs(prepared.astype(np.int32)).max() < 8000
