"""The ``rasa run`` arguments that come from the coach's settings, for every
way the server is started (``scripts/run``, ``coach.tools.stack``,
``coach.tools.cluster``): ``python -m coach.tools.rasa_args`` prints them.

CORS: only the origins in ``PSOAS_CORS_ORIGINS``. Without any, Rasa sends no
CORS headers and browsers keep other sites' pages out; the widget, served by
the same server, needs none.
"""

from __future__ import annotations

from typing import List

from coach.settings import Settings


def cors_arguments(settings: Settings) -> List[str]:
    return ["--cors", *settings.cors_origins] if settings.cors_origins else []


if __name__ == "__main__":
    print(" ".join(cors_arguments(Settings.from_env())))
