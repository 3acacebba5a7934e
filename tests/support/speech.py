"""Speech for tests: the coach's own offline voice and what it says during a hold."""

from __future__ import annotations

from typing import List, Tuple

from coach.settings import Settings

# the coach's offline voice: PSOAS_ESPEAK_VOICE and PSOAS_ESPEAK_SPEED defaults
COACH_VOICE: Tuple[str, int] = (Settings().espeak_voice, Settings().espeak_speed)

# what the coach itself says during a hold (content/routines.yml cues)
COACH_CUES: List[str] = [
    "Hold for 30 seconds.",
    "Halfway.",
    "Ten seconds left.",
    "And release.",
    "Now switch to your left side.",
    "Carry on.",
]
