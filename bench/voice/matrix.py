"""The report's compact view: each measure as a voice x condition matrix, the
recognisers side by side in each cell (``bench.voice.report`` writes it first,
after the summary, so that every voice and condition can be read at a glance)."""

from __future__ import annotations

from typing import Any, Callable, Dict, List

from bench.voice.corpus import SPEECH_HOLDOUT_SET
from bench.voice.markdown import Md, pct
from bench.voice.rows import ALL

Part = Dict[str, Any]
Row = Dict[str, Any]


def _questions(part: Part) -> List[Row]:
    rows: List[Row] = part.get("questions", {}).get("rows", [])
    return rows


def _commands(part: Part) -> List[Row]:
    rows: List[Row] = part.get("commands", {}).get(SPEECH_HOLDOUT_SET, {}).get("rows", [])
    return rows


def _pain(part: Part) -> List[Row]:
    rows: List[Row] = part.get("pain", {}).get("rows", [])
    return rows


def right_and_wrong(row: Row) -> str:
    return f"{pct(row['right'], row['n'])} ({pct(row['wrong'], row['n'])})" if row else ""


def acted_upon(row: Row) -> str:
    return pct(row["acted"], row["n"]) if row else ""


MEASURES = (
    ("Questions right (wrong)", _questions, right_and_wrong),
    ("Hands-free commands right (wrong), spoken set", _commands, right_and_wrong),
    ("Pain and red flags mid-hold acted upon", _pain, acted_upon),
)


def matrix(
    md: Md,
    parts: Dict[str, Part],
    title: str,
    rows_of: Callable[[Part], List[Row]],
    cell: Callable[[Row], str],
) -> None:
    names = [n for n, p in parts.items() if rows_of(p)]
    if not names:
        return
    found = {n: {(r["voice"], r["condition"]): r for r in rows_of(parts[n])} for n in names}
    voices = list(dict.fromkeys(v for n in names for v, _ in found[n]))
    conditions = list(dict.fromkeys(c for n in names for _, c in found[n]))
    md.title(f"{title}: {' / '.join(names)} (synthetic)", 3)
    md.head("voice", *conditions)
    for voice in voices:
        cells = [
            " / ".join(cell(found[n].get((voice, c), {})) for n in names)
            if any((voice, c) in found[n] for n in names)
            else ""
            for c in conditions
        ]
        md.row(f"**{voice}**" if voice == ALL else voice, *cells)


def matrices(md: Md, parts: Dict[str, Part]) -> None:
    md.title("Every voice and condition at a glance")
    for title, rows_of, cell in MEASURES:
        matrix(md, parts, title, rows_of, cell)
