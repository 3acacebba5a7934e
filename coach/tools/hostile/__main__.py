"""``python -m coach.tools.hostile URL``: a hostile-input run against a running coach.

Prints the report (``--json`` for the machine-readable form) and exits with 1
when anything was found: a 5xx, a connection failure, a file read outside the
served folders, a playlist or concat file followed, a socket.io handler that
never finished.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Sequence

from coach.tools.hostile.report import FINDINGS
from coach.tools.hostile.runner import run_hostile


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="send hostile input to a local coach")
    parser.add_argument("url", help="the coach's base URL, e.g. http://localhost:5005")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--canary", help="a secret written in files outside the served folders")
    parser.add_argument("--canary-path", action="append", default=[], help="such a file (repeat)")
    parser.add_argument("--exclude", action="append", default=[], help="a route/kind to leave out")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    for noisy in ("engineio.client", "socketio.client"):  # a closed connection is an outcome here
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    report = run_hostile(
        args.url, args.count, args.seed, args.canary, args.canary_path, exclude=args.exclude
    )
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.summary())
    found = report.server_errors or report.connection_failures or report.canary_seen
    return 1 if found or any(report.flagged(flag) for flag in FINDINGS) else 0


if __name__ == "__main__":
    sys.exit(main())
