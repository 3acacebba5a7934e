"""Bad input at scale: a thousand malformed and hostile requests to a running coach.

``run_hostile(base_url, count=1000, seed=0, canary=...)`` sends at least
``count`` requests across the five routes a client can reach (REST, socket.io
with engine.io below it, the voice channel, the audio files, the widget's
files) and returns a :class:`HostileReport`: per route and kind, the HTTP
statuses (or socket.io outcomes), the 5xx, the connection failures, and
whether a file outside the served folders was read (the ``canary`` in a
response, ``/etc/passwd``, a playlist or concat file that ffmpeg followed).

The same seed gives the same requests; each request has its own time limit,
and the few bodies of several MB are spread over the run. Only a loopback
server is accepted. From the shell:

    python -m coach.tools.hostile http://localhost:5005 --count 1000 --seed 0

The routes' probes: ``rest``, ``sockets``, ``voice``, ``paths``; the wire:
``wire``; the report: ``report``.
"""

from __future__ import annotations

from coach.tools.hostile.report import HostileReport as HostileReport
from coach.tools.hostile.runner import plan as plan
from coach.tools.hostile.runner import run_hostile as run_hostile
