"""Rasa's command line under cProfile, switched on and off by signals:
``python -m bench.speed.profiled_rasa STATS_FILE run ...``. SIGUSR1 starts
profiling (after warm-up), SIGUSR2 stops it and writes STATS_FILE. Rasa serves
from one thread (its event loop), the one the handlers run in, so the profile
sees every message. Used by ``bench.speed.profile``."""

from __future__ import annotations

import cProfile
import signal
import sys
from types import FrameType


def main() -> None:
    stats_file, rasa_args = sys.argv[1], sys.argv[2:]
    profiler = cProfile.Profile()

    def start(_signal: int, _frame: FrameType | None) -> None:
        profiler.enable()

    def stop(_signal: int, _frame: FrameType | None) -> None:
        profiler.disable()
        profiler.dump_stats(stats_file)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    from rasa.__main__ import main as rasa_main  # heavy: after the handlers are set

    sys.argv = ["rasa", *rasa_args]
    rasa_main()


if __name__ == "__main__":
    main()
