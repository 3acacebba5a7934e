"""Markdown for bench/voice's report: tables as lines, and the threshold sections
(one recogniser's analysis, ``bench.voice.thresholds``)."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from bench.voice import thresholds as th
from bench.voice.config import MODELS
from coach.speech.lm.names import COMMANDS


def pct(count: int, total: int) -> str:
    return f"{100 * count / total:.0f}%" if total else "n/a"


class Md:
    """Markdown lines, built up section by section."""

    def __init__(self) -> None:
        self.lines: List[str] = []

    def text(self, *lines: str) -> None:
        self.lines.extend(lines)

    def title(self, text: str, level: int = 2) -> None:
        self.lines += ["", f"{'#' * level} {text}", ""]

    def row(self, *cells: Any) -> None:
        self.lines.append("| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |")

    def head(self, *cells: str) -> None:
        self.row(*cells)
        self.row(*(["---"] * len(cells)))

    def table(self, head: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.head(*head)
        for cells in rows:
            self.row(*cells)

    def render(self) -> str:
        return "\n".join(self.lines).strip() + "\n"


def threshold_variant(md: Md, analysis: Dict[str, Any], model: str, variant: str, who: str) -> None:
    a = analysis[model][variant]
    gated = " (acted upon only for routine command and red-flag intents)"
    md.title(
        f"Threshold, {who}: {model} (now {analysis[model]['current']})"
        f"{gated if variant == 'intent_gate' else ''}",
        3,
    )
    categories = list(a["false_accepts"][0])
    md.head("threshold", "accept right", "accept wrong", "rejected", *categories)
    for r, fa in zip(a["table"], a["false_accepts"], strict=True):
        n = r["in_domain"]
        md.row(
            f"{r['threshold']:.2f}",
            pct(r["accept_right"], n),
            pct(r["accept_wrong"], n),
            pct(r["rejected"], n),
            *(f"{fa[c][0]}/{fa[c][1]}" for c in categories),
        )
    md.text(
        "",
        f"n={a['table'][0]['in_domain']}; lowest with no echo, chatter or noise acted upon: "
        f"{a['lowest_without_false_accepts']}; least cost: {a['least_cost']}; "
        f"top false-accept confidences: {a['ood_top_confidences']}",
    )
    if model == COMMANDS and variant == "all":
        w = analysis[model]["without_echo"]
        md.text(
            f"without echo: lowest with no chatter or noise acted upon "
            f"{w['lowest_without_false_accepts']}, least cost {w['least_cost']}"
        )


def question_mode_plan(md: Md, plan: Dict[str, Any], who: str) -> None:
    voices = ", ".join(plan["voices"])
    md.title(f"Question mode during a routine, {who} ({voices}; {plan.get('condition')})", 3)
    md.head("thresholds", "recordings, plan", "right", "rejected", "wrong")
    for name in ("current", "recommended"):
        for key, counts in plan[name].items():
            if key == "thresholds":
                continue
            n = sum(counts.values())
            md.row(
                name,
                key,
                pct(counts.get(th.RIGHT, 0), n),
                pct(counts.get("rejected", 0), n),
                pct(counts.get(th.WRONG, 0), n),
            )


def thresholds(md: Md, analysis: Dict[str, Any], recommended: Dict[str, float], who: str) -> None:
    for model in MODELS:
        for variant in ("all", "intent_gate"):
            if variant in analysis.get(model, {}):
                threshold_variant(md, analysis, model, variant, who)
    md.text("", f"recommended bars for {who}: {recommended}")
    plan = analysis.get("question_mode_in_routine")
    if plan:
        question_mode_plan(md, plan, who)
