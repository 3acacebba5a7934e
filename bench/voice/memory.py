"""Resident memory of a Rasa server's recognition workers, read from /proc.

The server does not report its workers' pids: they are the processes under the
Rasa server (children, or their children) whose command line runs
``coach.speech.asr.worker``. Their VmRSS (now) and VmHWM (peak) are summed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

from coach.speech.asr.pool import WORKER_MODULE

PROC = Path("/proc")


def _status(pid: int) -> Dict[str, str]:
    out: Dict[str, str] = {}
    try:
        for line in (PROC / str(pid) / "status").read_text(encoding="ascii").splitlines():
            key, _, value = line.partition(":")
            out[key] = value.strip()
    except OSError:  # gone in the meantime
        return {}
    return out


def _cmdline(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def descendants(root: int) -> List[int]:
    """Every process under ``root`` (children, their children ...)."""
    children: Dict[int, List[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            parent = _status(int(entry.name)).get("PPid")
            if parent and parent.isdigit():
                children.setdefault(int(parent), []).append(int(entry.name))
    found: List[int] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return sorted(found)


def _mib(value: str | None) -> float:
    return int(value.split()[0]) / 1024 if value else 0.0


def worker_memory(server_pid: int) -> Dict[str, Any]:
    """The recognition workers under ``server_pid``: how many, their summed RSS and
    peak RSS (MiB), and the server's own RSS."""
    pids = [p for p in descendants(server_pid) if WORKER_MODULE in _cmdline(p)]
    statuses = [_status(p) for p in pids]
    return {
        "workers": len(pids),
        "pids": pids,
        "rss_mib": round(sum(_mib(s.get("VmRSS")) for s in statuses), 1),
        "peak_rss_mib": round(sum(_mib(s.get("VmHWM")) for s in statuses), 1),
        "each_rss_mib": [round(_mib(s.get("VmRSS")), 1) for s in statuses],
        "server_rss_mib": round(_mib(_status(server_pid).get("VmRSS")), 1),
    }
