"""What the listening policy (``coach.speech.listening``) works with and decides:
the NLU's reading of a transcript, what the search settled on (``Heard``) and
the outcome (``Outcome``, its ``Verdict`` and, for a check-in, why). Values only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from coach.speech.asr.base import Recognition


# -- values -----------------------------------------------------------------
@dataclass(frozen=True)
class Reading:
    """The NLU's reading of a transcript: its intent (None: the NLU could not
    say) and, when it comes from Rasa, the whole parse, handed on with the
    message so that Rasa does not parse the transcript again."""

    intent: str | None = None
    parse: Mapping[str, Any] | None = None

    @classmethod
    def of_parse(cls, parsed: Mapping[str, Any]) -> Reading:
        """The reading of one of Rasa's parses (``Agent.parse_message``)."""
        name = (parsed.get("intent") or {}).get("name")
        return cls(str(name) if name else None, parsed)

    @property
    def confidence(self) -> float | None:
        """How sure the NLU is of the intent (None: it did not say)."""
        value = ((self.parse or {}).get("intent") or {}).get("confidence")
        return float(value) if isinstance(value, (int, float)) else None


UNREAD = Reading()  # the NLU could not say (it is down, or not asked)


class Verdict(str, Enum):
    ACT = "act"  # send ``text`` to the conversation
    CHECK_IN = "check_in"  # pause and check in (``CheckIn`` says why)
    IGNORE_ECHO = "ignore_echo"  # the coach's own voice, heard back
    NOT_UNDERSTOOD = "not_understood"  # speech, but not surely what the coach knows
    NO_SPEECH = "no_speech"  # silence or noise


class CheckIn(str, Enum):
    """Why a hold is paused on what nothing was sure of."""

    HURTS = "hurts"  # read as a red flag, or a pain word in it: "it sounded like it hurts"
    UNCLEAR = "unclear"  # speech the command model could not make out: "I didn't catch that"


@dataclass(frozen=True)
class Heard:
    """The recognition the search settled on, and how it found it."""

    recognition: Recognition
    # below its model's bar, but read as a red flag (or with a pain word in it)
    # while a hold runs
    doubted_red_flag: bool = False
    # hands-free while a hold runs: speech, but the command model could not
    # make it out (``is_unclear``)
    unclear: bool = False
    # its model was sure, the NLU read no routine talk in it (push-to-talk in a
    # routine, the command model), and no later model was sure of anything
    ruled_out: bool = False


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    recognition: Recognition
    # why nothing is acted upon (for the log and the reply); empty otherwise
    detail: str = ""
    # ACT and CHECK_IN: what goes to the conversation
    text: str = ""
    # ACT: the NLU's reading of ``text``, when the policy asked for it
    reading: Reading | None = None
    # CHECK_IN: why
    check_in: CheckIn | None = None
    # the confidence reported with the reply: none for a transcript the NLU
    # ruled out (it was not what anything was decided on)
    confidence: float = 0.0

    @property
    def acted(self) -> bool:
        return self.verdict in (Verdict.ACT, Verdict.CHECK_IN)
