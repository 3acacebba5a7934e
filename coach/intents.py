"""The one table of intents: what each means to a routine, to the voice channel,
to the speech models, to the safety screen and to the widget.

The NLU data (``data/``), the domain, the actions, the voice channel, the
speech models' builder and the web widget (served as JSON by
``channels/widget.py`` at ``/coach/contract.json``) all take these names from
here; ``tests/test_intents.py`` checks the table against ``domain.yml``.
"""

from __future__ import annotations

import json
from typing import Dict, FrozenSet, Mapping

# -- routine commands: the machine's vocabulary (coach.routine.machine.handle) --
NEXT = "next"
PREVIOUS = "previous"
REPEAT = "repeat"
PAUSE = "pause"
RESUME = "resume"
STOP = "stop"
TIME_LEFT = "time_left"
SWITCH_SIDES = "switch_sides"
SET_HOLD = "set_hold"  # takes the requested seconds as its argument
LONGER = "longer"
SHORTER = "shorter"
PAIN = "pain"
RECONNECT = "reconnect"  # a client came back (the reconnect cue)
COMMANDS = (
    NEXT,
    PREVIOUS,
    REPEAT,
    PAUSE,
    RESUME,
    STOP,
    TIME_LEFT,
    SWITCH_SIDES,
    SET_HOLD,
    LONGER,
    SHORTER,
    PAIN,
    RECONNECT,
)

# -- intents ---------------------------------------------------------------
RED_FLAG_INTENT = "report_red_flag_symptom"
CONDITION_INTENT = "report_health_condition"
START_ROUTINE_INTENT = "start_routine"
SET_HOLD_INTENT = "set_hold_duration"
CUE_INTENT = "EXTERNAL_routine_cue"  # sent by reminders and reconnecting clients
RECONNECT_CUE = "reconnect"  # the cue entity of a reconnecting client
# "delete my conversation": asked, confirmed, then the store deletes it
# (stores/tracker_store.py sees the action and deletes instead of saving)
FORGET_INTENT = "forget_conversation"
FORGET_ACTION = "action_forget_conversation"

# what each intent means while a routine runs
INTENT_COMMAND: Mapping[str, str] = {
    "routine_next": NEXT,
    "routine_previous": PREVIOUS,
    "routine_pause": PAUSE,
    "routine_resume": RESUME,
    "routine_stop": STOP,
    "ask_time_left": TIME_LEFT,
    SET_HOLD_INTENT: SET_HOLD,
    "hold_longer": LONGER,
    "hold_shorter": SHORTER,
    # conversation intents that mean a routine command mid-routine
    "ask_repeat": REPEAT,
    "ask_other_side": SWITCH_SIDES,
    "ask_more_detail": RESUME,
    "affirm": RESUME,
    "ask_hold_duration": TIME_LEFT,
}
# the conversation intents above: answered by the routine only while one is running
ROUTINE_ONLY_WHEN_ACTIVE: FrozenSet[str] = frozenset(
    {"ask_repeat", "ask_other_side", "ask_more_detail", "affirm", "ask_hold_duration"}
)

# intents said during a guided stretch (the routine command speech model)
ROUTINE_INTENTS: FrozenSet[str] = frozenset(
    {
        "routine_next",
        "routine_previous",
        "routine_pause",
        "routine_resume",
        "routine_stop",
        "ask_time_left",
        SET_HOLD_INTENT,
        "hold_longer",
        "hold_shorter",
        "ask_repeat",
        "ask_other_side",
        "ask_hold_duration",
        RED_FLAG_INTENT,
        "affirm",
        "deny",
        "thank",
    }
)
# what an open microphone may act upon: what people say during a routine
HANDS_FREE_INTENTS: FrozenSet[str] = ROUTINE_INTENTS | {START_ROUTINE_INTENT}
# what may stop the coach while it speaks (with pain, heard by the screen words)
BARGE_IN_INTENTS: FrozenSet[str] = frozenset({"routine_stop", "routine_pause"})
# the other short commands, which the barge-in model hears as themselves and
# rejects (pain and red-flag reports are not among them: those must get through)
BARGE_IN_DECOY_INTENTS: FrozenSet[str] = ROUTINE_INTENTS - BARGE_IN_INTENTS - {RED_FLAG_INTENT}

# -- the safety screen's kinds, as intents and entities ---------------------
RED_FLAG = "red_flag"
CONDITION = "condition"
SAFETY_KINDS = (RED_FLAG, CONDITION)
INTENT_FOR_KIND: Mapping[str, str] = {RED_FLAG: RED_FLAG_INTENT, CONDITION: CONDITION_INTENT}
ENTITY_FOR_KIND: Mapping[str, str] = {RED_FLAG: "symptom", CONDITION: "condition"}


def intent_message(intent: str, entities: Mapping[str, str] | None = None) -> str:
    """The ``/intent{...}`` text that triggers an intent directly."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(dict(entities), separators=(', ', ': '))}"


# -- what the widget sends for its buttons and on reconnect ------------------
WIDGET_BUTTONS: Dict[str, str] = {
    PAUSE: intent_message("routine_pause"),
    RESUME: intent_message("routine_resume"),
    NEXT: intent_message("routine_next"),
    STOP: intent_message("routine_stop"),
}
RECONNECT_MESSAGE = intent_message(CUE_INTENT, {"cue": RECONNECT_CUE})
