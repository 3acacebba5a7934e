"""Threshold analysis for bench/voice: which confidence to act upon, per model.

A point is one recording decoded by one language model: its confidence and its
outcome if it were acted upon: ``right`` or ``wrong`` (in-domain speech, judged
against typing the same sentence), or ``ood`` (echo of the coach, chatter,
noise: acting on it at all is a false accept). Points without a transcript
(nothing heard), and points of confidence 0 (not a sentence of a closed
model), are never acted upon: the 0.00 row is "no threshold".

Pure: no stack, no recogniser. ``bench.voice.tuning`` gathers the points;
``python -m bench.voice --reanalyse`` runs this again on saved ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Collection, Dict, List, Sequence, Tuple

from bench.voice.config import MODELS
from coach.intents import ROUTINE_INTENTS
from coach.settings import POCKETSPHINX
from coach.speech.lm.names import COMMANDS, QUESTIONS
from coach.speech.thresholds import min_confidence

RIGHT, WRONG, OOD = "right", "wrong", "ood"
TABLE_THRESHOLDS = (0.0, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
GRID = tuple(round(i / 100, 2) for i in range(0, 100))


@dataclass(frozen=True)
class Point:
    confidence: float
    heard: bool
    outcome: str  # right, wrong, ood
    category: str  # what it was: question, command, echo, chatter, noise, ...
    intent: str | None = None  # the NLU intent of the transcript, where known
    text: str = ""  # the transcript (for reading the results)

    def accepted(self, threshold: float, gate: Collection[str] | None = None) -> bool:
        """Acted upon at ``threshold`` (and, with a ``gate``, only for those intents).
        Confidence 0 is never acted upon: the recogniser gives it to a transcript
        that is not one of a closed model's sentences."""
        passes = gate is None or self.intent in gate
        return self.heard and self.confidence > 0 and self.confidence >= threshold and passes


@dataclass(frozen=True)
class Row:
    threshold: float
    in_domain: int
    right: int
    wrong: int
    rejected: int
    ood: int
    ood_accepted: int

    def share(self, count: int, total: int) -> float:
        return count / total if total else 0.0

    def as_dict(self) -> Dict[str, Any]:
        return {
            "threshold": self.threshold,
            "in_domain": self.in_domain,
            "accept_right": self.right,
            "accept_wrong": self.wrong,
            "rejected": self.rejected,
            "ood": self.ood,
            "accept_ood": self.ood_accepted,
        }


def row(points: Sequence[Point], threshold: float, gate: Collection[str] | None = None) -> Row:
    domain = [p for p in points if p.outcome != OOD]
    ood = [p for p in points if p.outcome == OOD]
    right = sum(1 for p in domain if p.outcome == RIGHT and p.accepted(threshold, gate))
    wrong = sum(1 for p in domain if p.outcome == WRONG and p.accepted(threshold, gate))
    return Row(
        threshold=threshold,
        in_domain=len(domain),
        right=right,
        wrong=wrong,
        rejected=len(domain) - right - wrong,
        ood=len(ood),
        ood_accepted=sum(1 for p in ood if p.accepted(threshold, gate)),
    )


def table(
    points: Sequence[Point],
    thresholds: Sequence[float] = TABLE_THRESHOLDS,
    gate: Collection[str] | None = None,
) -> List[Row]:
    return [row(points, t, gate) for t in thresholds]


def cost(r: Row, wrong_cost: float, ood_cost: float) -> float:
    """Per in-domain utterance: a rejection costs 1 (say it again), a wrong answer
    ``wrong_cost``; plus ``ood_cost`` per false accept, per out-of-domain recording."""
    domain = r.rejected + wrong_cost * r.wrong
    return domain / max(1, r.in_domain) + ood_cost * r.ood_accepted / max(1, r.ood)


# what the microphone hears that nobody said to the coach: acting on it must not
# happen (the other out-of-domain category, a routine command said while the
# coach speaks, is a user talking to the coach: it only counts in the cost)
NOBODY_TO_COACH = ("echo", "chatter", "noise")


def lowest_quiet(
    points: Sequence[Point],
    max_false_accepts: int = 0,
    gate: Collection[str] | None = None,
    categories: Collection[str] = NOBODY_TO_COACH,
) -> float | None:
    """The lowest threshold at which at most ``max_false_accepts`` recordings of
    ``categories`` are acted upon (``None``: not even at 0.99)."""
    chosen = [p for p in points if p.outcome == OOD and p.category in categories]
    for threshold in GRID:
        if sum(p.accepted(threshold, gate) for p in chosen) <= max_false_accepts:
            return threshold
    return None


def least_cost(
    points: Sequence[Point],
    wrong_cost: float,
    ood_cost: float,
    gate: Collection[str] | None = None,
) -> Dict[str, Any]:
    """The threshold of least cost, and the range within 2% of it (a plateau is
    safer to pick from than a single best point measured on synthetic voices)."""
    costs = [(t, cost(row(points, t, gate), wrong_cost, ood_cost)) for t in GRID]
    best_t, best = min(costs, key=lambda item: (item[1], item[0]))
    near = [t for t, c in costs if c <= best + 0.02]
    return {"threshold": best_t, "cost": round(best, 4), "near_best": [min(near), max(near)]}


def ood_confidences(points: Sequence[Point]) -> List[float]:
    return sorted((p.confidence for p in points if p.outcome == OOD and p.heard), reverse=True)


# -- the analysis of a run's points: per model, tables, least cost, a recommendation --

# what the voice channel lets the command model act upon (channels/voice.py)
GATE = ROUTINE_INTENTS


def summarise(
    pts: List[Point], current: float, weights: Tuple[float, float], gate: Any = None
) -> Dict[str, Any]:
    wrong_cost, ood_cost = weights
    categories = sorted({p.category for p in pts if p.outcome == OOD})
    accepted_ood = {
        c: [
            round(p.confidence, 3)
            for p in pts
            if p.category == c and p.outcome == OOD and p.accepted(0.0, gate)
        ]
        for c in categories
    }
    ood = [p for p in pts if p.outcome == OOD]
    return {
        "table": [r.as_dict() for r in table(pts, gate=gate)],
        "false_accepts": [
            {
                c: [
                    sum(p.accepted(t, gate) for p in ood if p.category == c),
                    sum(1 for p in ood if p.category == c),
                ]
                for c in categories
            }
            for t in TABLE_THRESHOLDS
        ],
        "at_current": row(pts, current, gate).as_dict(),
        "lowest_without_false_accepts": lowest_quiet(pts, 0, gate),
        "least_cost": least_cost(pts, wrong_cost, ood_cost, gate),
        "least_cost_if_a_wrong_answer_costs": {
            str(w): least_cost(pts, w, ood_cost, gate)["threshold"] for w in (1, 2, 3, 5, 10)
        },
        "ood_top_confidences": {
            c: sorted(v, reverse=True)[:5] for c, v in accepted_ood.items() if v
        },
    }


def current_bars(engine: str = POCKETSPHINX) -> Dict[str, float]:
    """The voice channel's bars now, per model, for recogniser ``engine``."""
    return {model: min_confidence(model, engine) for model in MODELS}


def summarise_models(
    points: Dict[str, List[Point]], weights: Dict[str, float], engine: str = POCKETSPHINX
) -> Any:
    """Per model: tables, least cost and quiet thresholds (and variants), against the
    bars of recogniser ``engine`` (its confidences mean something else)."""
    out: Dict[str, Any] = {"weights": weights, "engine": engine}
    for model, pts in points.items():
        listening = model != QUESTIONS
        costs = (weights["wrong"], weights["ood_listening" if listening else "ood_questions"])
        current = min_confidence(model, engine)
        out[model] = {"current": current, "all": summarise(pts, current, costs)}
        if model == COMMANDS:
            quiet = [p for p in pts if p.category != "echo"]
            out[model]["without_echo"] = summarise(quiet, current, costs)
            out[model]["intent_gate"] = summarise(pts, current, costs, GATE)
            out[model]["intent_gate_without_echo"] = summarise(quiet, current, costs, GATE)
        out[model]["points"] = [
            [round(p.confidence, 4), p.heard, p.outcome, p.category, p.intent, p.text] for p in pts
        ]
    return out


def strip_points(analysis: Dict[str, Any]) -> Dict[str, Any]:
    return {
        k: {kk: vv for kk, vv in v.items() if kk != "points"} if isinstance(v, dict) else v
        for k, v in analysis.items()
    }


def recommend(analysis: Dict[str, Any]) -> Dict[str, float]:
    """Questions: the least-cost threshold. Listening models: the least-cost one, but
    never below the lowest one that acted on none of the echo, chatter and noise
    (for the command model: chatter and noise; its echo is kept out by the client,
    which sends what it hears while the coach speaks as barge-in), nor below 0.5."""
    out = {}
    for model in MODELS:
        variant = analysis[model].get("without_echo") or analysis[model]["all"]
        best = float(variant["least_cost"]["threshold"])
        if model != QUESTIONS:
            quiet = variant["lowest_without_false_accepts"]
            best = max(best, float(quiet if quiet is not None else 0.99), 0.5)
        out[model] = round(best, 2)
    return out
