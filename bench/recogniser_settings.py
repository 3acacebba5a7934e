"""Benchmark: what the audio preparation and pocketsphinx's decoder settings do
to the word error rate, in-process (no stack).

    .venv/bin/python -m bench.recogniser_settings        # about 6 minutes

Recordings: held-out sentences (3 per routine command intent, 1 per question
intent; ``bench.voice.corpus``) read by espeak-ng in three voices, each decoded
with the model the voice channel would use (commands mid-hold, questions
otherwise). Compares

* the recordings as they are ("bare") against ``prepare_for_recognition``
  (level, quiet lead-in, noise floor), which the recogniser applies;
* the decoder's language weight and insertion penalties.

Results: docs/benchmarks.md, "Audio preparation".
"""

from __future__ import annotations

import argparse
from typing import Any, Callable, Dict, List, Tuple

from bench.voice.corpus import Sentence, commands, compare_words, questions, word_errors
from coach.settings import Settings
from coach.speech.asr import pocketsphinx as recognition
from coach.speech.asr.audio_input import decode_wav
from coach.speech.asr.pocketsphinx import PocketsphinxRecognizer
from coach.speech.lm.names import COMMANDS, MODEL_NAMES, QUESTIONS
from coach.tools.speak import espeak_wav

VOICES = (("en-us", 160), ("en-us+m3", 150), ("en-gb", 150))
DECODER_SETTINGS: Tuple[Dict[str, float], ...] = (
    {},
    {"lw": 9.0},
    {"lw": 12.0},
    {"lw": 9.0, "wip": 0.2},
    {"lw": 9.0, "pip": 0.5},
)


def recordings(per_command: int, per_question: int) -> List[Tuple[Sentence, bytes]]:
    sentences = commands(per_intent=per_command) + questions(per_intent=per_question)
    return [
        (s, decode_wav(espeak_wav(s.spoken, voice, speed)).samples)
        for s in sentences
        for voice, speed in VOICES
    ]


def scores(recognizer: PocketsphinxRecognizer, audio: List[Tuple[Sentence, bytes]]) -> str:
    errors = words = exact = 0
    for sentence, samples in audio:
        model = COMMANDS if sentence.kind == "command" else QUESTIONS
        heard = recognizer.recognize(samples, model)
        reference = compare_words(sentence.ideal)
        hypothesis = compare_words(heard.transcript)
        errors += word_errors(reference, hypothesis)
        words += len(reference)
        exact += reference == hypothesis
    return f"WER {errors / words:.3f}, whole sentence right {exact / len(audio):.0%}"


def with_settings(settings: Dict[str, float]) -> PocketsphinxRecognizer:
    recognizer = PocketsphinxRecognizer(Settings.from_env().speech_model_dir)
    recognizer.load()
    decoder: Any = recognizer._decoder
    for key, value in settings.items():
        decoder.config[key] = value
    decoder.reinit()
    for name in MODEL_NAMES:
        decoder.add_lm_file(name, str(recognizer.directory / f"{name}.lm"))
    return recognizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-command", type=int, default=3)
    parser.add_argument("--per-question", type=int, default=1)
    args = parser.parse_args()
    audio = recordings(args.per_command, args.per_question)
    print(f"{len(audio)} recordings ({len(VOICES)} voices)")

    models = Settings.from_env().speech_model_dir
    # the recogniser prepares each recording (level, lead-in, noise floor): swapped
    # for "nothing" to score the bare recordings
    prepare = recognition.prepare_for_recognition
    bare: Callable[..., bytes] = lambda samples, seed=0: samples  # noqa: E731
    for name, function in (("bare", bare), ("prepared", prepare)):
        recognition.prepare_for_recognition = function
        try:
            print(f"{name:10s} {scores(PocketsphinxRecognizer(models), audio)}")
        finally:
            recognition.prepare_for_recognition = prepare
    for settings in DECODER_SETTINGS:
        label = ", ".join(f"{k}={v}" for k, v in settings.items()) or "defaults"
        print(f"{label:20s} {scores(with_settings(settings), audio)}")


if __name__ == "__main__":
    main()
