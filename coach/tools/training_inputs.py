"""Whether the trained model is stale, and why: what ``scripts/run`` and
``scripts/test`` ask before they train.

A model depends on ``config.yml``, ``domain.yml``, every YAML file under
``data/`` and the installed Rasa version; nothing else (content, code and the
other packages are read at run time). ``--record`` writes each input's hash
beside the model (``models/.inputs``); ``--check`` compares and says, in one
line, which inputs changed, exiting 1 when the model must be trained again.
When it is trained again, Rasa's own graph cache (``.rasa/cache``) keeps every
part whose inputs did not change: a change to the stories alone retrains the
dialogue policies, not the NLU.

    python -m coach.tools.training_inputs --check    # "up to date", or why not
    python -m coach.tools.training_inputs --record   # after training
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from importlib import metadata
from pathlib import Path
from typing import Dict, List, Sequence

from coach.settings import PROJECT_ROOT

MODEL = Path("models") / "psoas-coach.tar.gz"
RECORD = Path("models") / ".inputs"
RASA_VERSION = "rasa version"


def current_inputs(root: Path = PROJECT_ROOT) -> Dict[str, str]:
    """Each training input (a path relative to ``root``, or the Rasa version) and its hash."""
    files = [root / "config.yml", root / "domain.yml", *sorted((root / "data").rglob("*.yml"))]
    inputs = {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in files
        if path.is_file()
    }
    try:
        inputs[RASA_VERSION] = metadata.version("rasa")
    except metadata.PackageNotFoundError:
        inputs[RASA_VERSION] = "not installed"
    return inputs


def recorded_inputs(root: Path = PROJECT_ROOT) -> Dict[str, str] | None:
    path = root / RECORD
    if not path.is_file():
        return None
    pairs = (line.split("  ", 1) for line in path.read_text(encoding="utf-8").splitlines())
    return {name: digest for digest, name in pairs}


def reasons_to_train(root: Path = PROJECT_ROOT) -> List[str]:
    """Why the model must be trained (empty: it is up to date)."""
    if not (root / MODEL).is_file():
        return [f"there is no trained model yet ({MODEL})"]
    recorded = recorded_inputs(root)
    if recorded is None:
        return [f"{RECORD} does not say what the model was trained on"]
    now = current_inputs(root)
    reasons = []
    for name in sorted(set(now) | set(recorded)):
        if name not in recorded:
            reasons.append(f"{name} is new")
        elif name not in now:
            reasons.append(f"{name} was removed")
        elif name == RASA_VERSION and now[name] != recorded[name]:
            reasons.append(f"Rasa {recorded[name]} became {now[name]}")
        elif now[name] != recorded[name]:
            reasons.append(f"{name} changed")
    return reasons


def record(root: Path = PROJECT_ROOT) -> None:
    path = root / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{digest}  {name}" for name, digest in current_inputs(root).items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coach.tools.training_inputs")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="exit 1 (and say why) when stale")
    action.add_argument("--record", action="store_true", help="after training")
    args = parser.parse_args(argv)
    if args.record:
        record()
        return 0
    reasons = reasons_to_train()
    if not reasons:
        print("up to date: config, domain, data and Rasa unchanged since the last training")
        return 0
    shown = reasons[:3] + ([f"{len(reasons) - 3} more"] if len(reasons) > 3 else [])
    print("; ".join(shown))
    return 1


if __name__ == "__main__":
    sys.exit(main())
