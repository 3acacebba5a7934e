"""What a run found, as rows (saved in voice-summary.json) and as the Markdown
tables printed at the end (the figures in docs/benchmarks.md)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, Dict, List, Tuple

from bench.voice import thresholds as th
from bench.voice.config import HARMLESS_INTENTS, MODELS, Record
from coach.speech.lm.names import COMMANDS

# --- rows ------------------------------------------------------------------------------


def accuracy_rows(records: List[Record], key: str) -> List[Dict[str, Any]]:
    groups: Dict[str, List[Record]] = defaultdict(list)
    for rec in records:
        groups[rec[key]].append(rec)
        if key == "voice":
            groups[f"all {rec['engine']}"].append(rec)
    rows = []
    for name, recs in sorted(groups.items(), key=lambda item: item[0].startswith("all ")):
        ok = [r for r in recs if r["typed_ok"]]
        outcomes = Counter(r["outcome"] for r in ok)
        words = sum(r["words"] for r in recs)
        rows.append(
            {
                key: name,
                "n": len(ok),
                "typed_fails": len(recs) - len(ok),
                "right": outcomes[th.RIGHT],
                "rejected": outcomes["rejected"],
                "wrong": outcomes[th.WRONG],
                "errors": outcomes["error"],
                "wer": round(sum(r["word_errors"] for r in recs) / words, 3) if words else None,
            }
        )
    return rows


def worst_commands(records: List[Record]) -> List[Dict[str, Any]]:
    rows = accuracy_rows(records, "intent")
    for row in rows:
        recs = [r for r in records if r["intent"] == row["intent"] and r["typed_ok"]]
        wrong = Counter(
            f"{r['transcript']!r} -> {r['reply']['intent']}"
            for r in recs
            if r["outcome"] == th.WRONG
        )
        missed = Counter(
            f"{r['text']!r} ({r['voice']})" for r in recs if r["outcome"] == "rejected"
        )
        row["wrong_examples"] = [k for k, _ in wrong.most_common(3)]
        row["rejected_examples"] = [k for k, _ in missed.most_common(3)]
    return sorted(rows, key=lambda r: r["right"] / max(1, r["n"]))


def rejection_rows(records: List[Record]) -> List[Dict[str, Any]]:
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
                "stopped_by_echo_guard": echo_guarded,
                "examples": [
                    f"{r['text'][:40]!r} -> {r['transcript']!r} ({r['confidence']})"
                    for r in acted[:4]
                ],
            }
        )
    return rows


def recall_rows(records: List[Record], key: str) -> List[Dict[str, Any]]:
    groups: Dict[str, List[Record]] = defaultdict(list)
    for rec in records:
        groups[rec[key]].append(rec)
    return [
        {
            key: name,
            "n": len(recs),
            "acted": sum(1 for r in recs if r["status"] == "ok"),
            "right": sum(1 for r in recs if r["outcome"] == th.RIGHT),
            "typed_fails": sum(1 for r in recs if not r["typed_ok"]),
        }
        for name, recs in groups.items()
    ]


# --- tables ----------------------------------------------------------------------------


def pct(count: int, total: int) -> str:
    return f"{100 * count / total:.0f}%" if total else "n/a"


def line(*cells: Any) -> None:
    print("| " + " | ".join(str(c) for c in cells) + " |")


def head(*cells: str) -> None:
    line(*cells)
    line(*(["---"] * len(cells)))


def print_accuracy(rows: List[Dict[str, Any]], key: str, wrong: str) -> None:
    head(key, "n", "right", "rejected", wrong, "WER", "typed fails")
    for r in rows:
        n = r["n"]
        line(
            r[key],
            n,
            pct(r["right"], n),
            pct(r["rejected"], n),
            pct(r["wrong"], n),
            r["wer"],
            r["typed_fails"],
        )


def print_questions(questions: Dict[str, Any]) -> None:
    print("\n## Spoken questions (question mode, fresh conversation)\n")
    print_accuracy(questions["by_voice"], "voice", "wrong answer")


def print_commands(commands: Dict[str, Any]) -> None:
    print("\n## Routine commands (hands_free, mid-hold)\n")
    print_accuracy(commands["by_voice"], "voice", "wrong")
    print()
    head("command", "n", "right", "rejected", "wrong", "examples")
    for r in commands["by_intent"]:
        n = r["n"]
        examples = "; ".join(r["wrong_examples"][:2] + r["rejected_examples"][:1])
        line(
            r["intent"],
            n,
            pct(r["right"], n),
            pct(r["rejected"], n),
            pct(r["wrong"], n),
            examples,
        )


def print_rejection(rejection: Dict[str, Any]) -> None:
    print("\n## Rejection: share acted upon\n")
    head("recording", "mode", "n", "acted upon", "harmless", "echo guard", "examples")
    for r in rejection["rows"]:
        line(
            r["set"],
            r["mode"],
            r["n"],
            pct(r["acted"], r["n"]),
            r["harmless"],
            r["stopped_by_echo_guard"],
            "; ".join(r["examples"][:2]),
        )
    print("\nBarge-in recall (barge_in mode, mid-hold)\n")
    head("voice", "n", "acted upon", "right effect")
    for r in rejection["recall_by_voice"]:
        line(r["voice"], r["n"], pct(r["acted"], r["n"]), pct(r["right"], r["n"]))
    print()
    head("phrase", "n", "acted upon", "right effect")
    for r in rejection["recall_by_phrase"]:
        line(r["text"], r["n"], pct(r["acted"], r["n"]), pct(r["right"], r["n"]))


def print_threshold_variant(analysis: Dict[str, Any], model: str, variant: str) -> None:
    a = analysis[model][variant]
    gated = " (acted upon only for routine command and red-flag intents)"
    print(
        f"\n## Threshold: {model} (now {analysis[model]['current']})"
        f"{gated if variant == 'intent_gate' else ''}\n"
    )
    categories = list(a["false_accepts"][0])
    head("threshold", "accept right", "accept wrong", "rejected", *categories)
    for r, fa in zip(a["table"], a["false_accepts"], strict=True):
        n = r["in_domain"]
        line(
            f"{r['threshold']:.2f}",
            pct(r["accept_right"], n),
            pct(r["accept_wrong"], n),
            pct(r["rejected"], n),
            *(f"{fa[c][0]}/{fa[c][1]}" for c in categories),
        )
    print(
        f"\nn={a['table'][0]['in_domain']}; lowest with no echo, chatter or noise "
        "acted upon: "
        f"{a['lowest_without_false_accepts']}; least cost: {a['least_cost']}; "
        f"top false-accept confidences: {a['ood_top_confidences']}"
    )
    if model == COMMANDS and variant == "all":
        w = analysis[model]["without_echo"]
        print(
            f"without echo: lowest with no chatter or noise acted upon "
            f"{w['lowest_without_false_accepts']}, least cost {w['least_cost']}"
        )


def print_question_mode_plan(plan: Dict[str, Any]) -> None:
    print(f"\n## Question mode during a routine ({', '.join(plan['voices'])})\n")
    head("thresholds", "recordings, plan", "right", "rejected", "wrong")
    for name in ("current", "recommended"):
        for key, counts in plan[name].items():
            if key == "thresholds":
                continue
            n = sum(counts.values())
            line(
                name,
                key,
                pct(counts.get(th.RIGHT, 0), n),
                pct(counts.get("rejected", 0), n),
                pct(counts.get(th.WRONG, 0), n),
            )


def print_thresholds(analysis: Dict[str, Any], recommended: Dict[str, float]) -> None:
    for model in MODELS:
        for variant in ("all", "intent_gate"):
            if variant in analysis.get(model, {}):
                print_threshold_variant(analysis, model, variant)
    print(f"\nrecommended MIN_CONFIDENCE: {recommended}")
    plan = analysis.get("question_mode_in_routine")
    if plan:
        print_question_mode_plan(plan)


def print_latency(latency: Dict[str, Any]) -> None:
    print("\n## Latency (voice request, WAV in, JSON out)\n")
    head("kind", "clients", "requests", "p50", "p95", "max", "throughput", "audio")
    for key, r in latency.items():
        if isinstance(r, dict) and "p50_ms" in r:
            line(
                key.rsplit("_", 1)[0],
                r["clients"],
                r["requests"],
                f"{r['p50_ms']:.0f} ms",
                f"{r['p95_ms']:.0f} ms",
                f"{r['max_ms']:.0f} ms",
                f"{r['throughput_rps']} req/s",
                f"{r['mean_audio_s']} s",
            )


def print_tables(results: Dict[str, Any]) -> None:
    """Every section the run has results for, in phase order."""
    if "questions" in results:
        print_questions(results["questions"])
    if "commands" in results:
        print_commands(results["commands"])
    if "rejection" in results:
        print_rejection(results["rejection"])
    if "thresholds" in results:
        print_thresholds(results["thresholds"], results["recommended"])
    if "latency" in results:
        print_latency(results["latency"])
