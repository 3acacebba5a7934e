"""Fail when intent accuracy on the held-out NLU set is below the threshold.

Reads the report written by ``rasa test nlu --nlu tests/nlu_holdout.yml``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("report", type=Path, help="intent_report.json from rasa test nlu")
    parser.add_argument("--threshold", type=float, default=0.92)
    args = parser.parse_args()

    report = json.loads(args.report.read_text(encoding="utf-8"))
    accuracy = float(report["accuracy"])
    weakest = sorted(
        (
            (values["f1-score"], name)
            for name, values in report.items()
            if isinstance(values, dict) and "f1-score" in values and "avg" not in name
        )
    )[:5]
    print(f"holdout intent accuracy: {accuracy:.3f} (threshold {args.threshold:.2f})")
    print("weakest intents (f1): " + ", ".join(f"{n} {f:.2f}" for f, n in weakest))
    if accuracy < args.threshold:
        print("FAILED: holdout accuracy is below the threshold", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
