"""Judges a run's hands-free commands again with the current rule
(``client.Reply.same_effect``, through ``records.judge``) and writes its summary
and report again: for a run made before the rule changed, without saying every
recording again. The recordings' results are as the server gave them.

    .venv/bin/python -m bench.voice.rejudge --tag voices5b
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Dict, List, Sequence

from bench.voice import rows
from bench.voice.client import Reply
from bench.voice.config import Output, log
from bench.voice.records import same_effect
from bench.voice.report import render


def rejudge(recs: List[Dict[str, Any]]) -> int:
    """Outcomes again for ``recs`` (in place); how many changed."""
    changed = 0
    for rec in recs:
        if rec["status"] != "ok" or rec.get("check_in") or "ref" not in rec:
            continue
        reply = Reply(rec["reply"]["intent"], tuple(rec["reply"]["texts"]), _tuple(rec, "reply"))
        ref = Reply(rec["ref"]["intent"], tuple(rec["ref"]["texts"]), _tuple(rec, "ref"))
        outcome = "right" if same_effect(reply, ref) else "wrong"
        changed += outcome != rec["outcome"]
        rec["outcome"] = outcome
    return changed


def _tuple(rec: Dict[str, Any], key: str) -> Any:
    routine = rec[key]["routine"]
    return tuple(routine) if routine is not None else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tag", required=True)
    output = Output(parser.parse_args(argv).tag)
    summary = json.loads(output.path("summary").read_text(encoding="utf-8"))
    commands = json.loads(output.path("commands").read_text(encoding="utf-8"))
    for recognizer, recs in commands.items():
        log(f"{recognizer}: {rejudge(recs)} of {len(recs)} commands judged otherwise")
        part = summary["recognizers"][recognizer]
        names = sorted({r["set"] for r in recs})
        part["commands"] = {
            name: {"rows": rows.by_clip([r for r in recs if r["set"] == name], rows.accuracy)}
            for name in names
        }
        part["commands"]["by_intent"] = rows.worst_commands(recs)
    summary["meta"]["rejudged"] = "python -m bench.voice.rejudge --tag " + output.prefix.rstrip("-")
    output.write("commands", commands)
    output.write("summary", summary)
    path = output.write_text("report", render(summary))
    log(f"report: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
