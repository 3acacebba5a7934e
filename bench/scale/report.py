"""The markdown tables of a scale run (for docs/benchmarks.md)."""

from __future__ import annotations

from typing import Any, Dict, List

from bench.scale.topologies import LABELS


def _load(values: List[float] | None) -> str:
    return "/".join(f"{v:.1f}" for v in values[:1]) if values else "?"


def _span(result: Dict[str, Any]) -> str:
    return f"{_load(result.get('loadavg_start'))} → {_load(result.get('loadavg_end'))}"


def _cue_timing(c: Dict[str, Any]) -> str:
    if "p50_ms" not in c:
        return "none"
    return f"{c['p50_ms']:+.0f} / {c['p95_ms']:+.0f} / {c['max_ms']:+.0f} ms"


def _ms(r: Dict[str, Any]) -> str:
    if not r.get("requests"):
        return "no messages"
    return f"{r['p50_ms']:.0f} / {r['p95_ms']:.0f} / {r['p99_ms']:.0f}"


def load_table(load: Dict[str, Any]) -> List[str]:
    rows = [
        "### Load: open loop, a message every few seconds per user",
        "",
        "| topology | users (REST / socket.io / in routines) | offered msg/s | answered msg/s "
        "| latency p50 / p95 / p99 ms | errors | try again | cues p50 / p95 / max (lost) "
        "| server CPU, cores | CPU ms a message | load avg 1 min, start → end |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    knees = []
    for key, result in load["topologies"].items():
        for r in result["levels"]:
            mix = r["mix"]
            cue = r["cues"]
            cue_text = f"{_cue_timing(cue)} ({cue['lost']})" if cue["scheduled"] else "n/a"
            support = f" + {r['support_cpu_cores']} PG/Redis/HAProxy" if key == "cluster" else ""
            rows.append(
                f"| {LABELS[key]} | {r['users']} ({mix['rest']} / {mix['socketio']} / "
                f"{mix['routines']}) | {r['offered_msg_s']} | {r['answered_msg_s']} | {_ms(r)} "
                f"| {r['errors']} | {r['try_again']} | {cue_text} | "
                f"{r['server_cpu_cores']}{support} | {r['server_cpu_ms_a_message']} | {_span(r)} |"
            )
        knee, last = (
            result["knee_users"],
            result["levels"][-1]["users"] if result["levels"] else None,
        )
        reached = "" if knee is None or knee != last else " or more (not reached in these steps)"
        knees.append(f"{LABELS[key]}: **{knee}** users{reached}")
    rows += [
        "",
        f'Knee (most users with p95 < 500 ms, no errors, no "try again"): {"; ".join(knees)}.',
    ]
    return rows


def routines_table(r: Dict[str, Any]) -> List[str]:
    c = r["cues"]
    return [
        "### Routines at once",
        "",
        "| topology | sessions (per replica) | cues scheduled | arrived | lost | duplicated "
        "| cue error p50 / p95 / max | over 250 ms | routines ended | LockErrors "
        "| events written twice | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {r['topology']} | {r['sessions']} ({', '.join(str(v) for v in r['replicas'].values())}"
        f"), holds {r['hold_s']} s, starts over {r['starts_spread_s']:g} s | {c['scheduled']} "
        f"| {c['arrived']} | {c['lost']} | {c['duplicated']} | {_cue_timing(c)} "
        f"| {c.get('over_250_ms', 0)} | {r['routines_ended']} / {r['sessions']} "
        f"| {r['lock_errors']} | {r['duplicated_events']} | {_span(r)} |",
    ]


def faults_table(f: Dict[str, Any]) -> List[str]:
    rows = [
        "### Faults",
        "",
        f"{f['topology']}; {f['talkers']} REST conversations (a message a second each) and "
        f"{f['routine_sessions']} routine sessions (holds {f['hold_s']} s) through the balancer; "
        f"the fault {f['fault_after_s']:g} s in, talk for {f['talk_after_fault_s']:g} s after.",
        "",
        "| fault | answered | try again | unanswered | answered again after (max) "
        "| events lost | written, not answered | written twice | routine gap (replica lost) "
        "| routines ended normally | cues lost | LockErrors | restored in | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in f["faults"].items():
        m, rt = r["messages"], r["routines"]
        gaps = ", ".join(f"{g:.1f} s" for g in rt["gap_s"]) or "none"
        if rt["not_heard_again"]:
            gaps += f" ({rt['not_heard_again']} never)"
        again = r["answered_again_s"]
        again_text = f"{again['max']} s" if again["max"] is not None else "never"
        if again["never"]:
            again_text += f" ({again['never']} never)"
        restored = f"{r['restore_s']} s" if r["restore_s"] is not None else "n/a"
        rows.append(
            f"| {name} | {m['answered']} | {m['try_again']} | {m['unanswered']} | {again_text} "
            f"| {r['events_lost']} | {r['written_not_answered']} | {r['duplicated_events']} "
            f"| {gaps} | {rt['ended_normally']} / {rt['sessions']} | {rt['cues']['lost']} "
            f"| {r['lock_errors']} | {restored} | {_span(r)} |"
        )
    return rows


def soak_table(s: Dict[str, Any]) -> List[str]:
    names = [n for n in s["snapshots"][0]["rss_mib"] if "workers" not in n]
    rows = [
        "### Soak",
        "",
        f"{s['topology']}; {s['users']} users ({s['mix']['rest']} REST, {s['mix']['socketio']} "
        f"socket.io, {s['mix']['routines']} in routines), a message every {s['period_s']:g} s "
        f"each, {s['seconds']:g} s, "
        + (
            f"a new conversation every {s['conversation_turns']} messages (and routine)"
            if s.get("conversation_turns")
            else "one conversation per user throughout"
        )
        + f". Overall p50 / p95 / p99: {_ms(s['overall'])} ms, errors "
        f"{s['overall'].get('errors', 0)}, try again {s['overall'].get('try_again', 0)}; cues "
        f"{_cue_timing(s['cues'])} ({s['cues']['lost']} lost of {s['cues']['scheduled']}); "
        f"LockErrors {s['lock_errors']}.",
        "",
        "| from | messages | p50 / p95 / p99 ms | errors |",
        "|---|---|---|---|",
    ]
    rows += [
        f"| {p['from_s']} s | {p.get('requests', 0)} | {_ms(p)} | {p.get('errors', 0)} |"
        for p in s["per_interval"]
    ]
    rows += [
        "",
        f"| at | {' | '.join(f'{n} RSS MiB' for n in names)} | events | table MiB | load avg |",
        f"|---|{'---|' * len(names)}---|---|---|",
    ]
    for snap in s["snapshots"]:
        events = snap["events"]
        rows.append(
            f"| {snap['at_s']:.0f} s | "
            + " | ".join(str(snap["rss_mib"].get(n)) for n in names)
            + f" | {events.get('events', '?')} | {events.get('mib', '?')} "
            f"| {_load(snap['loadavg'])} |"
        )
    growth = ", ".join(f"{n} {v:+.0f} MiB" for n, v in s["rss_growth_mib"].items())
    rows += ["", f"Resident memory, first to last snapshot: {growth}."]
    return rows


def markdown(results: Dict[str, Any]) -> str:
    m = results["machine"]
    rows = [
        f"Machine: **{m['cores']} cores** ({m['cpu']}), {m['memory_gib']} GiB; load generator "
        "on the same machine (its CPU is in the JSON); other work may share the machine: "
        "the 1-minute load average at each phase's start and end is given.",
        "",
        f"Settings: {results['settings']}",
        "",
        f"Code: {results['code']['commit']}, with {len(results['code']['changed'])} files "
        f"changed or new in the working tree (listed in the JSON). Phases took "
        + ", ".join(f"{k} {v} s" for k, v in results.get("phase_seconds", {}).items())
        + f"; {results.get('total_seconds')} s in all, with starting the servers.",
    ]
    phases = results["phases"]
    for name, table in (
        ("load", load_table),
        ("routines", routines_table),
        ("faults", faults_table),
        ("soak", soak_table),
    ):
        if name in phases:
            rows += ["", *table(phases[name])]
    return "\n".join(rows) + "\n"
