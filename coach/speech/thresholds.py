"""Every confidence bar of the voice input, per engine and model, and the
NLU's bars for what an open microphone or a doubted question may act upon.

The listening policy (``coach.speech.listening``) applies them; bench/voice
measured them (docs/benchmarks.md, "Thresholds" and "Whisper against
pocketsphinx").
"""

from __future__ import annotations

from typing import Mapping

from coach.settings import POCKETSPHINX, WHISPER
from coach.speech.lm.names import BARGE_IN, COMMANDS, QUESTIONS

# Lowest confidence acted upon, per model (bench/voice and bench/barge_in.py
# measured these; see docs/benchmarks.md, "Thresholds" and "Barge-in decoys").
# Questions: where a wrong answer costs about three "I didn't catch that"s.
# Commands (the open microphone's model): the lowest level at which no everyday
# chatter was acted upon. Barge-in: its closed list and its decoys (the other
# commands, heard as themselves and never accepted), not this level, keep the
# coach's voice, chatter and the other commands out; the level only has to keep
# a misheard "stop", "ouch" or "it hurts" from being missed: 0.35 acted on 88%
# of them and on nothing else at 0.20 to 0.50 but one "okay pause".
# These are pocketsphinx's bars (its word posteriors); Whisper's are below.
MIN_CONFIDENCE: Mapping[str, float] = {QUESTIONS: 0.5, COMMANDS: 0.65, BARGE_IN: 0.35}
DEFAULT_MIN_CONFIDENCE = 0.5  # a model with no bar of its own
# Mid-routine, pain and other red flags heard with less confidence than the
# command model asks for ("that hurts" at 0.35, each word right) are not
# dropped: a person in pain must not be told "I didn't catch that" while the
# hold goes on. Nor are they taken for sure: the routine is paused, and the
# coach says what it thought it heard and what to do (the safety answer and a
# full stop are for red flags heard with the command model's confidence), so
# chatter misheard as pain costs a pause. bench/pain_by_voice.py measured the
# bar: at 0.30, 55% of spoken pain reports and 73% of held-out red flags are
# acted upon instead of 28% and 39%, and 8% of chatter recordings pause the
# routine (4% at 0.40, which catches 48% and 70%): a pause is cheap, pain is not.
RED_FLAG_MIN_CONFIDENCE = 0.3
# An open microphone acts on what the NLU reads as routine talk only when the
# NLU is this sure: a neural recogniser writes the room's chatter out in full,
# and a garbled sentence ("i like beat so in extra cheese") can land on a
# routine intent by elimination. Red flags the safety screen finds are sure.
HANDS_FREE_MIN_INTENT_CONFIDENCE = 0.8
# Whisper's question-model transcripts below this confidence are answered only
# when the NLU is at least QUESTION_MIN_INTENT_CONFIDENCE sure of them: above
# the bar, but not far, a transcript is as often garbled ("i'll do my stretch
# my solo") as right (bench/voice, "Thresholds"); pocketsphinx needs no such look.
SURE_QUESTION: Mapping[str, float] = {WHISPER: 0.6, POCKETSPHINX: 0.0}
QUESTION_MIN_INTENT_CONFIDENCE = 0.8

# Whisper's confidence is the geometric mean of its token probabilities (for a
# closed-list phrase: its posterior against the other phrases and the free
# transcript; ``coach.speech.asr.closed_list``). bench/voice --quick: at a
# questions bar of 0.4 Whisper answered 74% right and 16% wrong over every
# voice and condition, at 0.6 52% and 3%: so 0.4, and below SURE_QUESTION the
# NLU must be sure too. Commands: 0.4, as the NLU's sure reading (hands-free)
# is what keeps chatter out; barge-in 0.5 (its closed list alone decides).
WHISPER_MIN_CONFIDENCE: Mapping[str, float] = {QUESTIONS: 0.4, COMMANDS: 0.4, BARGE_IN: 0.5}
WHISPER_RED_FLAG_MIN_CONFIDENCE = 0.25

BARS: Mapping[str, Mapping[str, float]] = {
    POCKETSPHINX: MIN_CONFIDENCE,
    WHISPER: WHISPER_MIN_CONFIDENCE,
}
RED_FLAG_BARS: Mapping[str, float] = {
    POCKETSPHINX: RED_FLAG_MIN_CONFIDENCE,
    WHISPER: WHISPER_RED_FLAG_MIN_CONFIDENCE,
}

# Hands-free while a hold runs, a command-model transcript below this (words,
# but not made out) pauses the routine and the coach checks in, rather than
# "I didn't catch that" while the hold goes on: a pain report the recogniser
# garbles ("oh child child" for "ouch ouch ouch") must not be dropped. Tuned on
# the development set alone (bench/voice/dev_speech.yml, two dev voices, clean,
# pink noise 10 dB and room; ``python -m bench.voice.tune_unclear``): at 0.4 it
# pauses for 16 more of 120 pain recordings (and a pain word, ``PainWords``,
# for 17 more) and for 3 of 120 chatter recordings; at 0.5 for 28 and 14, at
# 0.6 for 37 and 29. An engine without a bar here never pauses on unclear
# speech (pocketsphinx: its domain model writes everything as domain words).
UNCLEAR_BELOW: Mapping[str, float] = {WHISPER: 0.4}


MIN_SPEECH_SECONDS = 0.15  # less voiced audio than this: nothing was said


def min_confidence(model: str, engine: str = POCKETSPHINX) -> float:
    """The lowest confidence acted upon for a recognition by ``model`` of ``engine``."""
    return BARS.get(engine, MIN_CONFIDENCE).get(model, DEFAULT_MIN_CONFIDENCE)


def red_flag_min_confidence(engine: str = POCKETSPHINX) -> float:
    """The lowest confidence at which a red flag heard mid-hold pauses the routine."""
    return RED_FLAG_BARS.get(engine, RED_FLAG_MIN_CONFIDENCE)


def unclear_below(engine: str = POCKETSPHINX) -> float:
    """Below this, a hands-free command-model transcript mid-hold was not made
    out (0: the engine has no such bar)."""
    return UNCLEAR_BELOW.get(engine, 0.0)
