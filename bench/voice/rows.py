"""What a run found, as rows (saved in voice-summary.json, printed by
``bench.voice.report``): per voice and condition, per condition over every voice
(voice ``all``), and over everything (voice and condition ``all``)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, Callable, Dict, List, Tuple

from bench.voice import thresholds as th
from bench.voice.config import HARMLESS_INTENTS, Record

ALL = "all"
Summary = Callable[[List[Record]], Dict[str, Any]]


def by_clip(records: List[Record], summary: Summary) -> List[Dict[str, Any]]:
    """``summary`` of each voice under each condition, then of each condition over
    every voice, then of everything; in the order the records came."""
    groups: Dict[Tuple[str, str], List[Record]] = defaultdict(list)
    for rec in records:
        condition = rec.get("condition", "clean")
        for key in ((rec["voice"], condition), (ALL, condition), (ALL, ALL)):
            groups[key].append(rec)

    def order(key: Tuple[str, str]) -> int:
        return (key[0] == ALL) + (key[1] == ALL)

    keys = sorted(groups, key=order)  # stable: voices first, in run order
    return [{"voice": v, "condition": c, **summary(groups[(v, c)])} for v, c in keys]


def accuracy(recs: List[Record]) -> Dict[str, Any]:
    """Right / rejected / wrong of the recordings whose typed version is right."""
    ok = [r for r in recs if r["typed_ok"]]
    outcomes = Counter(r["outcome"] for r in ok)
    scored = [r for r in recs if "words" in r]
    words = sum(r["words"] for r in scored)
    return {
        "n": len(ok),
        "typed_fails": len(recs) - len(ok),
        "right": outcomes[th.RIGHT],
        "rejected": outcomes["rejected"],
        "wrong": outcomes[th.WRONG],
        "errors": outcomes["error"],
        "wer": round(sum(r["word_errors"] for r in scored) / words, 3) if words else None,
    }


def pain(recs: List[Record]) -> Dict[str, Any]:
    """Acted upon (the routine paused or stopped after it), of every recording and of
    those whose words, typed, pause or stop it too."""
    typed = [r for r in recs if r["typed_ok"]]
    return {
        "n": len(recs),
        "acted": sum(r["acted_upon"] for r in recs),
        "stopped": sum(r["routine_after"] == "stopped" for r in recs),
        "paused": sum(r["routine_after"] == "paused" for r in recs),
        # paused because the recogniser could not make it out (not for its words)
        "unclear": sum(r.get("check_in") == "unclear" for r in recs),
        "typed_acts": len(typed),
        "acted_of_typed": sum(r["acted_upon"] for r in typed),
        "errors": sum(r["status"] not in ("ok", "not_understood", "no_speech") for r in recs),
    }


def recall(recs: List[Record]) -> Dict[str, Any]:
    return {
        "n": len(recs),
        "acted": sum(1 for r in recs if r["status"] == "ok"),
        "right": sum(1 for r in recs if r.get("outcome") == th.RIGHT),
        "typed_fails": sum(1 for r in recs if not r["typed_ok"]),
    }


def false_accepts(recs: List[Record]) -> Dict[str, Any]:
    """Per recording set and mode (``echo hands_free`` ...): [acted upon, n, of
    which paused to check in]."""
    counts: Dict[str, List[int]] = {}
    for r in recs:
        cell = counts.setdefault(f"{r['set']} {r['mode']}", [0, 0, 0])
        cell[0] += r["status"] == "ok"
        cell[1] += 1
        cell[2] += bool(r.get("check_in"))
    return {"sets": counts, "n": len(recs), "acted": sum(r["status"] == "ok" for r in recs)}


def by_key(records: List[Record], key: str, summary: Summary) -> List[Dict[str, Any]]:
    groups: Dict[str, List[Record]] = defaultdict(list)
    for rec in records:
        groups[str(rec[key])].append(rec)
    return [{key: name, **summary(recs)} for name, recs in groups.items()]


def worst_commands(records: List[Record]) -> List[Dict[str, Any]]:
    """Per intent, worst first, with examples of what went wrong."""
    rows = by_key(records, "intent", accuracy)
    for row in rows:
        recs = [r for r in records if r["intent"] == row["intent"] and r["typed_ok"]]
        wrong = Counter(
            f"{r['transcript']!r} -> {r['reply']['intent']}"
            for r in recs
            if r["outcome"] == th.WRONG
        )
        missed = Counter(
            f"{r['text']!r} ({r['voice']} {r['condition']})"
            for r in recs
            if r["outcome"] == "rejected"
        )
        row["wrong_examples"] = [k for k, _ in wrong.most_common(3)]
        row["rejected_examples"] = [k for k, _ in missed.most_common(3)]
    return sorted(rows, key=lambda r: r["right"] / max(1, r["n"]))


def pain_by_phrase(records: List[Record]) -> List[Dict[str, Any]]:
    rows = by_key(records, "text", pain)
    return sorted(rows, key=lambda r: r["acted"] / max(1, r["n"]))


def rejection_rows(records: List[Record]) -> List[Dict[str, Any]]:
    """Per set and mode, every condition together (with examples acted upon)."""
    groups: Dict[Tuple[str, str], List[Record]] = defaultdict(list)
    for rec in records:
        groups[(rec["set"], rec["mode"])].append(rec)
    rows = []
    for (kind, mode), recs in sorted(groups.items()):
        acted = [r for r in recs if r["status"] == "ok"]
        echo_guarded = sum(1 for r in recs if "coach's own voice" in r.get("detail", ""))
        rows.append(
            {
                "set": kind,
                "mode": mode,
                "n": len(recs),
                "acted": len(acted),
                "harmless": sum(1 for r in acted if r["reply"]["intent"] in HARMLESS_INTENTS),
                "checked_in": sum(1 for r in acted if r.get("check_in")),
                "stopped_by_echo_guard": echo_guarded,
                "examples": [
                    f"{r['text'][:40]!r} ({r['condition']}) -> {r['transcript']!r}"
                    f" ({r['confidence']})"
                    for r in acted[:4]
                ],
            }
        )
    return rows
