"""The pocketsphinx recogniser: offline, with the language models built from ``data/``.

One decoder, one search per language model (``coach.speech.lm.build`` writes
them to ``models/speech``). The confidence is the geometric mean of the word
posteriors from the lattice: high when the words fit both the sound and the
model, low for speech the assistant does not expect (chatter, the coach's own
voice) and for misheard words, so a low score means "I didn't catch that", not
a guess. A closed model (the barge-in list) gives no confidence at all to a
sentence that is not one of its own.

pocketsphinx holds the GIL while it decodes: a server runs this in worker
processes (``coach.speech.asr.pool``), never in its event loop. Nothing is
loaded at import time.
"""

from __future__ import annotations

import math
import os
import threading
from pathlib import Path
from typing import Any, Dict, List, Tuple

from coach.settings import DEFAULT_SPEECH_MODEL_DIR
from coach.speech.asr.audio_input import prepare_for_recognition, voiced_seconds
from coach.speech.asr.base import (
    Recognition,
    RecognitionError,
    SpeechRecognizer,
)
from coach.speech.asr.transcript import FILLERS, tidy_transcript, without_variants
from coach.speech.lm.names import CLOSED_MODELS, DICTIONARY, MODEL_NAMES, QUESTIONS, closed_form
from coach.speech.thresholds import MIN_SPEECH_SECONDS


class PocketsphinxRecognizer(SpeechRecognizer):
    """In-process pocketsphinx; not thread-safe (one decoder), loaded on first use."""

    def __init__(self, directory: Path = DEFAULT_SPEECH_MODEL_DIR) -> None:
        self.directory = Path(directory)
        self._decoder: Any = None
        self._closed: Dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def load(self) -> None:
        """Loads the acoustic model and every language model (about 0.3 s)."""
        from pocketsphinx import Decoder, get_model_path

        missing = [
            n
            for n in (*(f"{m}.lm" for m in MODEL_NAMES), DICTIONARY)
            if not (self.directory / n).exists()
        ]
        if missing:
            raise RecognitionError(
                f"speech models missing in {self.directory} ({', '.join(missing)}): "
                "run `python -m coach.speech.lm.build`"
            )
        decoder = Decoder(
            hmm=os.path.join(get_model_path(), "en-us", "en-us"),
            dict=str(self.directory / DICTIONARY),
            lm=str(self.directory / f"{QUESTIONS}.lm"),
            loglevel="FATAL",
        )
        for name in MODEL_NAMES:
            decoder.add_lm_file(name, str(self.directory / f"{name}.lm"))
        for name in CLOSED_MODELS:
            path = self.directory / f"{name}.sentences"
            lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
            self._closed[name] = frozenset(line.strip() for line in lines if line.strip())
        self._decoder = decoder

    def speech_seconds(self, samples: bytes) -> float:
        """Seconds of voiced audio (``voiced_seconds``)."""
        return voiced_seconds(samples)

    def recognize(self, samples: bytes, model: str) -> Recognition:
        if model not in MODEL_NAMES:
            raise ValueError(f"unknown language model {model!r}")
        with self._lock:
            if self._decoder is None:
                self.load()
            prepared = prepare_for_recognition(samples, seed=len(samples))
            speech = self.speech_seconds(prepared)
            if speech < MIN_SPEECH_SECONDS:
                return Recognition("", 0.0, model, speech)
            decoder = self._decoder
            # feature extraction keeps noise statistics from one utterance to the
            # next: reset, so that what a worker heard before (another
            # conversation) never changes what it hears now
            decoder.reinit_feat()
            decoder.activate_search(model)
            decoder.start_utt()
            decoder.process_raw(prepared, full_utt=True)
            decoder.end_utt()
            hypothesis = decoder.hyp()
            if hypothesis is None or not hypothesis.hypstr.strip():
                return Recognition("", 0.0, model, speech)
            words: List[Tuple[str, float]] = [
                (segment.word, float(segment.prob))
                for segment in decoder.seg()
                if segment.word not in FILLERS
            ]
        transcript = tidy_transcript([w for w, _ in words])
        if not transcript:
            return Recognition("", 0.0, model, speech)
        logs = [math.log(min(1.0, max(p, 1e-12))) for _, p in words]
        confidence = math.exp(sum(logs) / len(logs)) if logs else 0.0
        if model in self._closed:
            spoken = closed_form(without_variants(" ".join(w for w, _ in words)).split())
            if spoken not in self._closed[model]:
                confidence = 0.0  # not one of the model's sentences: never acted upon
        return Recognition(transcript, round(confidence, 4), model, round(speech, 2))
