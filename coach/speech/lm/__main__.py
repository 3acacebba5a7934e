"""The speech recogniser's language models, built from the NLU training data.

``python -m coach.speech.lm [--out DIR] [--data DIR] [--if-stale]`` builds them
(``--if-stale``: only when the data, ``content/speech.yml`` or the builder
changed). ``content/`` is ``PSOAS_CONTENT_DIR`` when set (``coach.settings``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Sequence

from coach.settings import DEFAULT_DATA_DIR, Settings
from coach.speech.lm.build import build, is_stale
from coach.speech.lm.names import DEFAULT_OUT_DIR


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--if-stale", action="store_true", help="skip when up to date")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    content_dir = Settings.from_env().content_dir
    if args.if_stale and not is_stale(args.out, args.data, content_dir):
        print(f"speech models are up to date ({args.out})")
        return 0
    manifest = build(args.out, args.data, content_dir=content_dir)
    print(f"speech models built in {args.out}: {json.dumps(manifest['models'])}")
    print(f"pronounced by espeak-ng: {', '.join(manifest['pronounced_by_espeak'])}")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
