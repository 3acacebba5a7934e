"""The tables of a run (the figures in docs/benchmarks.md), printed and written
as Markdown to ``bench/out/voice-[TAG-]report.md``: a summary per recogniser,
the conditions side by side, then each phase with rows recogniser x voice x
condition (``all``: every voice, every condition)."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence, Tuple

from bench.voice import markdown
from bench.voice.conditions import CONDITIONS
from bench.voice.config import TUNED_VOICE
from bench.voice.corpus import NLU_HOLDOUT_SET, SPEECH_HOLDOUT_SET
from bench.voice.markdown import Md, pct
from bench.voice.matrix import matrices
from bench.voice.rows import ALL

SYNTHETIC = (
    "**Synthetic**: every recording is a synthetic voice (espeak-ng, flite, piper) "
    "under a synthetic condition (pink noise, a synthetic room, an Opus phone link, "
    "sped up); no person said any of it. "
    f"`{TUNED_VOICE}` is the voice the old recogniser's (pocketsphinx) bars were tuned on "
    "(and the coach's own offline voice), so it flatters pocketsphinx. "
    "These figures rank recognisers and settings; they do not predict what a person "
    "in a living room gets."
)
CONDITION_NOTES = (
    "clean: as synthesized; noise20 / noise10: pink noise at 20 / 10 dB SNR, 0.3 s of "
    "it before and after; room: synthetic reverb, RT60 0.5 s; phone: 300-3400 Hz, "
    "8 kHz, Opus 12 kbit/s; fast: 15% faster, pitched up"
)
COMMAND_SETS = {
    SPEECH_HOLDOUT_SET: "spoken commands (bench/voice/holdout_speech.yml)",
    NLU_HOLDOUT_SET: "routine commands of tests/nlu_holdout.yml",
}


def voice_name(voice: str) -> str:
    return f"{voice} (tuned)" if voice == TUNED_VOICE else voice


def overall(rows: Sequence[Dict[str, Any]], condition: str = ALL) -> Dict[str, Any]:
    for row in rows:
        if row["voice"] == ALL and row["condition"] == condition:
            return row
    return {}


def three(row: Dict[str, Any]) -> str:
    """right / rejected / wrong."""
    n = row.get("n", 0)
    if not n:
        return "n/a"
    return " / ".join(pct(row[k], n) for k in ("right", "rejected", "wrong"))


def acted(row: Dict[str, Any]) -> str:
    return pct(row.get("acted", 0), row.get("n", 0)) if row else "n/a"


# the open microphone's modes: push-to-talk chatter was asked on purpose, and
# answering it ("I can help with the psoas...") is no false accept
OPEN_MICROPHONE = ("hands_free", "barge_in")


def false_accepts_of(row: Dict[str, Any], kind: str, modes: Sequence[str] = OPEN_MICROPHONE) -> str:
    """Acted upon, of the ``kind`` recordings in ``modes``; with the share of
    them that only paused the routine to check in, when any did."""
    cells = [
        v
        for k, v in row.get("sets", {}).items()
        if k.split(" ")[0] == kind and k.split(" ")[-1] in modes
    ]
    if not cells:
        return "n/a"
    n = sum(c[1] for c in cells)
    text = pct(sum(c[0] for c in cells), n)
    checked = sum(c[2] for c in cells if len(c) > 2)
    return f"{text} ({pct(checked, n)} check-in)" if checked else text


def command_rows(part: Dict[str, Any], name: str) -> List[Dict[str, Any]]:
    rows: List[Dict[str, Any]] = part.get("commands", {}).get(name, {}).get("rows", [])
    return rows


def rows_of(part: Dict[str, Any], phase: str, key: str = "rows") -> List[Dict[str, Any]]:
    rows: List[Dict[str, Any]] = part.get(phase, {}).get(key, [])
    return rows


def summary(md: Md, parts: Dict[str, Dict[str, Any]]) -> None:
    md.title("Summary per recogniser (every voice, every condition; synthetic)")
    md.text(
        "right / rejected / wrong; pain: share that paused or stopped the routine; "
        "false accepts: share acted upon by the open microphone (hands-free and barge-in; "
        "in brackets the share that only paused the routine to check in); "
        "chatter, push-to-talk: answered (push-to-talk was pressed: an answer is expected); "
        "latency: questions, 1 client",
        "",
    )
    md.head(
        "recogniser",
        "questions",
        "spoken commands",
        "nlu-holdout commands",
        "pain acted upon",
        "echo acted upon",
        "chatter acted upon",
        "chatter, push-to-talk",
        "noise acted upon",
        "p50",
        "p95",
        "workers' RSS",
    )
    for name, part in parts.items():
        fa = overall(rows_of(part, "rejection", "by_clip"))
        latency = part.get("latency", {}).get("questions_1", {})
        memory = part.get("meta", {}).get("memory", {})
        md.row(
            name,
            three(overall(rows_of(part, "questions"))),
            three(overall(command_rows(part, SPEECH_HOLDOUT_SET))),
            three(overall(command_rows(part, NLU_HOLDOUT_SET))),
            acted(overall(rows_of(part, "pain"))),
            false_accepts_of(fa, "echo"),
            false_accepts_of(fa, "chatter"),
            false_accepts_of(fa, "chatter", ("question",)),
            false_accepts_of(fa, "noise", (*OPEN_MICROPHONE, "question")),
            f"{latency['p50_ms']:.0f} ms" if latency else "n/a",
            f"{latency['p95_ms']:.0f} ms" if latency else "n/a",
            f"{memory['rss_mib']:.0f} MiB ({memory['workers']})" if memory else "n/a",
        )


def _share(row: Dict[str, Any], key: str) -> str:
    return pct(row.get(key, 0), row.get("n", 0)) if row else "n/a"


# the side-by-side columns: (title, cell of one recogniser's part under a condition)
Cell = Callable[[Dict[str, Any], str], str]
SIDE_BY_SIDE: Tuple[Tuple[str, Cell], ...] = (
    ("questions right", lambda p, c: _share(overall(rows_of(p, "questions"), c), "right")),
    ("questions wrong", lambda p, c: _share(overall(rows_of(p, "questions"), c), "wrong")),
    (
        "spoken commands right",
        lambda p, c: _share(overall(command_rows(p, SPEECH_HOLDOUT_SET), c), "right"),
    ),
    (
        "spoken commands wrong",
        lambda p, c: _share(overall(command_rows(p, SPEECH_HOLDOUT_SET), c), "wrong"),
    ),
    ("pain acted upon", lambda p, c: acted(overall(rows_of(p, "pain"), c))),
    (
        "chatter acted upon",
        lambda p, c: false_accepts_of(overall(rows_of(p, "rejection", "by_clip"), c), "chatter"),
    ),
    (
        "noise acted upon",
        lambda p, c: false_accepts_of(
            overall(rows_of(p, "rejection", "by_clip"), c), "noise", (*OPEN_MICROPHONE, "question")
        ),
    ),
)


def side_by_side(md: Md, parts: Dict[str, Dict[str, Any]]) -> None:
    names = list(parts)
    md.title(f"By condition, every voice (synthetic): {' / '.join(names)}")
    md.text(f"each cell: {' / '.join(names)}. {CONDITION_NOTES}", "")
    md.head("condition", *(title for title, _ in SIDE_BY_SIDE))
    for condition in (*CONDITIONS, ALL):
        cells = [[get(parts[n], condition) for n in names] for _, get in SIDE_BY_SIDE]
        if any(c != "n/a" for cell in cells for c in cell):
            md.row(condition, *(" / ".join(cell) for cell in cells))


def accuracy_table(md: Md, parts: Dict[str, Dict[str, Any]], title: str, get: Any) -> None:
    md.title(f"{title} (synthetic)")
    md.head(
        "recogniser", "voice", "condition", "n", "right", "rejected", "wrong", "WER", "typed fails"
    )
    for name, part in parts.items():
        for r in get(part):
            n = r["n"]
            md.row(
                name,
                voice_name(r["voice"]),
                r["condition"],
                n,
                pct(r["right"], n),
                pct(r["rejected"], n),
                pct(r["wrong"], n),
                r["wer"] if r["wer"] is not None else "n/a",
                r["typed_fails"],
            )


def commands_by_intent(md: Md, parts: Dict[str, Dict[str, Any]]) -> None:
    for name, part in parts.items():
        rows = part.get("commands", {}).get("by_intent")
        if not rows:
            continue
        md.title(f"Commands by intent, {name} (both sets, every voice and condition)", 3)
        md.head("command", "n", "right", "rejected", "wrong", "examples")
        for r in rows:
            n = r["n"]
            examples = "; ".join(r["wrong_examples"][:2] + r["rejected_examples"][:1])
            md.row(
                r["intent"],
                n,
                pct(r["right"], n),
                pct(r["rejected"], n),
                pct(r["wrong"], n),
                examples,
            )


def pain(md: Md, parts: Dict[str, Dict[str, Any]]) -> None:
    if not any("pain" in p for p in parts.values()):
        return
    md.title("Pain and red flags said mid-hold (hands_free; synthetic)")
    md.text(
        "acted upon: the routine paused or stopped after it; typed: of the phrases "
        "whose words, typed mid-hold, pause or stop it too",
        "",
    )
    md.head(
        "recogniser",
        "voice",
        "condition",
        "n",
        "acted upon",
        "stopped",
        "paused",
        "of which unclear speech",
        "acted upon, of typed",
    )
    for name, part in parts.items():
        for r in rows_of(part, "pain"):
            n = r["n"]
            md.row(
                name,
                voice_name(r["voice"]),
                r["condition"],
                n,
                pct(r["acted"], n),
                pct(r["stopped"], n),
                pct(r["paused"], n),
                pct(r.get("unclear", 0), n),
                f"{pct(r['acted_of_typed'], r['typed_acts'])} of {r['typed_acts']}",
            )
    names = [n for n, p in parts.items() if "pain" in p]
    md.title(f"Pain by phrase (acted upon: {' / '.join(names)})", 3)
    by_name = {n: {r["text"]: r for r in rows_of(parts[n], "pain", "by_phrase")} for n in names}
    phrases = list(dict.fromkeys(t for n in names for t in by_name[n]))
    md.head("phrase", *names, "typed pauses or stops")
    for text in phrases:
        cells = [acted(by_name[n].get(text, {})) for n in names]
        typed = next((by_name[n][text] for n in names if text in by_name[n]), {})
        md.row(text, *cells, "yes" if typed.get("typed_acts") else "no")


def false_accepts(md: Md, parts: Dict[str, Dict[str, Any]]) -> None:
    if not any("rejection" in p for p in parts.values()):
        return
    md.title("False accepts: echo, chatter and noise acted upon (synthetic)")
    md.text(
        "echo: the coach's own sentences (its offline voice), any of them; echo, just said: "
        "what it had just said to that conversation; cells: acted upon / recordings",
        "",
    )
    sets = list(
        dict.fromkeys(
            k for p in parts.values() for r in rows_of(p, "rejection", "by_clip") for k in r["sets"]
        )
    )
    md.head("recogniser", "voice", "condition", *sets)
    for name, part in parts.items():
        for r in rows_of(part, "rejection", "by_clip"):
            cells = [f"{r['sets'][k][0]}/{r['sets'][k][1]}" if k in r["sets"] else "" for k in sets]
            md.row(name, voice_name(r["voice"]), r["condition"], *cells)
    for name, part in parts.items():
        if "rejection" not in part:
            continue
        md.title(f"Acted upon by set and mode, {name} (every condition)", 3)
        md.head(
            "recording",
            "mode",
            "n",
            "acted upon",
            "paused to check in",
            "harmless",
            "echo guard",
            "examples",
        )
        for r in part["rejection"]["rows"]:
            md.row(
                r["set"],
                r["mode"],
                r["n"],
                pct(r["acted"], r["n"]),
                r.get("checked_in", 0),
                r["harmless"],
                r["stopped_by_echo_guard"],
                "; ".join(r["examples"][:2]),
            )
    md.title("Barge-in recall (barge_in mode, mid-hold; synthetic)", 3)
    md.head("recogniser", "voice", "condition", "n", "acted upon", "right effect")
    for name, part in parts.items():
        for r in rows_of(part, "rejection", "recall"):
            md.row(
                name,
                voice_name(r["voice"]),
                r["condition"],
                r["n"],
                pct(r["acted"], r["n"]),
                pct(r["right"], r["n"]),
            )


def latency(md: Md, parts: Dict[str, Dict[str, Any]]) -> None:
    md.title("Round trip and memory (voice request: WAV in, JSON with audio URLs out)")
    md.head("recogniser", "kind", "clients", "requests", "p50", "p95", "max", "throughput", "audio")
    for name, part in parts.items():
        for key, r in part.get("latency", {}).items():
            if isinstance(r, dict) and "p50_ms" in r:
                md.row(
                    name,
                    key.rsplit("_", 1)[0],
                    r["clients"],
                    r["requests"],
                    f"{r['p50_ms']:.0f} ms",
                    f"{r['p95_ms']:.0f} ms",
                    f"{r['max_ms']:.0f} ms",
                    f"{r['throughput_rps']} req/s",
                    f"{r['mean_audio_s']} s",
                )
    md.text("")
    md.head("recogniser", "workers", "workers' RSS", "workers' peak RSS", "each", "Rasa server RSS")
    for name, part in parts.items():
        m = part.get("meta", {}).get("memory")
        if m:
            md.row(
                name,
                m["workers"],
                f"{m['rss_mib']:.0f} MiB",
                f"{m['peak_rss_mib']:.0f} MiB",
                ", ".join(f"{x:.0f}" for x in m["each_rss_mib"]),
                f"{m['server_rss_mib']:.0f} MiB",
            )


def render(results: Dict[str, Any]) -> str:
    """Every section the run has results for."""
    meta = results.get("meta", {})
    parts: Dict[str, Dict[str, Any]] = results.get("recognizers", {})
    md = Md()
    md.title("Voice benchmark: recognisers x synthetic voices x synthetic conditions", 1)
    md.text(SYNTHETIC, "")
    if meta:
        md.text(
            f"{meta.get('date')}, commit {meta.get('commit')}; recognisers "
            f"{', '.join(parts)}; voices {', '.join(meta.get('voices', []))}; conditions "
            f"{', '.join(meta.get('conditions', []))}; `{meta.get('command')}`"
        )
    if meta.get("failed"):
        md.text("", f"**No results** (the stack failed, see the log): {', '.join(meta['failed'])}")
    summary(md, parts)
    matrices(md, parts)
    side_by_side(md, parts)
    if any("questions" in p for p in parts.values()):
        accuracy_table(
            md,
            parts,
            "Spoken questions (question mode, fresh conversation)",
            lambda p: rows_of(p, "questions"),
        )
    for key, title in COMMAND_SETS.items():
        if any(command_rows(p, key) for p in parts.values()):
            accuracy_table(
                md,
                parts,
                f"Hands-free commands mid-hold: {title}",
                lambda p, k=key: command_rows(p, k),
            )
    commands_by_intent(md, parts)
    pain(md, parts)
    false_accepts(md, parts)
    for name, part in parts.items():
        if "thresholds" in part:
            md.title(f"Thresholds, {name} (synthetic voices)")
            markdown.thresholds(md, part["thresholds"], part["recommended"], name)
    if any("latency" in p for p in parts.values()):
        latency(md, parts)
    return md.render()
