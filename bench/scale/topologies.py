"""The three topologies the scale benchmark compares, each started as in use on
this machine, and what is read off their processes.

- ``single``: the single-process default (``coach.tools.stack.Stack`` through
  ``bench.speed.bots.CoachBot``: one Rasa server, one action server, SQLite);
- ``cluster``: the production profile (``coach.tools.cluster.Cluster``:
  PostgreSQL, Redis, HAProxy, 2 Rasa replicas, 2 action servers);
- ``stock``: the bot ``rasa init --no-prompt`` makes (``StockBot``), REST only,
  trained once into ``bench/out/scale-stock-bot`` and kept for later runs.

The coach runs with the offline voice (espeak: loopback only) and its fixed
texts pre-rendered as ``scripts/run`` does, and with holds starting when they
are announced (``PSOAS_WORDS_PER_SECOND=0``, as the tests do) so routines stay
short; neither changes what a message or a cue costs the server.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, List

from bench.speed.bots import COACH_CONVERSATION, STOCK_CONVERSATION, CoachBot, StockBot
from bench.speed.load import cpu_seconds, rss_mib
from coach.tools.cluster import Cluster
from coach.tools.stack import ROOT

OUT = ROOT / "bench" / "out"
STOCK_FOLDER = OUT / "scale-stock-bot"

SINGLE, CLUSTER, STOCK = "single", "cluster", "stock"
LABELS = {
    SINGLE: "single process (SQLite)",
    CLUSTER: "2 replicas + 2 action servers (PostgreSQL, Redis, HAProxy)",
    STOCK: "stock `rasa init` (REST only)",
}


def coach_env(workdir: Path) -> Dict[str, str]:
    return {
        "PSOAS_TTS_ENGINES": "espeak",
        "PSOAS_WORDS_PER_SECOND": "0",
        "PSOAS_AUDIO_DIR": str(workdir / "audio"),
        "RASA_TELEMETRY_ENABLED": "false",
    }


def tree(pid: int) -> List[int]:
    """``pid`` and every process below it (the speech recognition workers)."""
    children: Dict[int, List[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def tree_cpu_seconds(pids: Dict[str, int]) -> float:
    total = 0.0
    for pid in pids.values():
        for member in tree(pid):
            try:
                total += cpu_seconds(member)
            except (FileNotFoundError, ProcessLookupError):
                continue
    return total


def safe_rss(pid: int) -> float | None:
    try:
        return round(rss_mib(pid), 1)
    except (FileNotFoundError, ProcessLookupError, RuntimeError):
        return None


class Topology:
    """What a phase needs of a running topology."""

    key = ""
    rest_only = False
    conversation: List[str] = COACH_CONVERSATION

    @property
    def label(self) -> str:
        return LABELS[self.key]

    @property
    def url(self) -> str:
        raise NotImplementedError

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def server_pids(self) -> Dict[str, int]:
        """The Rasa servers and action servers, by name."""
        raise NotImplementedError

    def support_pids(self) -> Dict[str, int]:
        """PostgreSQL, Redis, HAProxy (none for the single process)."""
        return {}


def prerender(env: Dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "coach.tools.prerender_audio"],
        env=env,
        check=True,
        capture_output=True,
        cwd=ROOT,
    )


class BotTopology(Topology):
    """A topology that is one bot of ``bench.speed.bots`` (``self.bot``)."""

    bot: Any

    @property
    def url(self) -> str:
        return str(self.bot.url)

    def start(self) -> None:
        self.bot.start()

    def stop(self) -> None:
        self.bot.stop()

    def server_pids(self) -> Dict[str, int]:
        return dict(self.bot.pids())


class Single(BotTopology):
    key = SINGLE

    def __init__(self, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.bot = CoachBot(workdir, prerender=True, env=coach_env(workdir.parent))


class Stock(BotTopology):
    key = STOCK
    rest_only = True
    conversation = STOCK_CONVERSATION

    def __init__(self, workdir: Path) -> None:
        STOCK_FOLDER.mkdir(parents=True, exist_ok=True)
        self.bot = StockBot(STOCK_FOLDER)


def routed_to(cluster: Cluster, replica: str) -> bool:
    """Whether the balancer sends a client pinned to ``replica`` there: it
    answers with a cookie of another replica when it does not."""
    request = urllib.request.Request(
        f"{cluster.url}/", headers={"Cookie": f"coach_replica={replica}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            cookie = response.headers.get("Set-Cookie") or ""
    except OSError:
        return False
    return not cookie or f"coach_replica={replica}" in cookie


def wait_balanced(cluster: Cluster, seconds: float = 60) -> float:
    """Waits until the balancer routes to every replica (``Cluster.start`` and
    ``restart`` return before it does: it takes a replica back after two good
    health checks, a second apart); returns the wait in seconds."""
    began = time.monotonic()
    while not all(routed_to(cluster, name) for name in cluster.replicas):
        if time.monotonic() - began > seconds:
            raise TimeoutError(f"the balancer does not route to every replica in {seconds} s")
        time.sleep(0.25)
    return round(time.monotonic() - began, 2)


class ClusterTopology(Topology):
    key = CLUSTER

    def __init__(self, workdir: Path, replicas: int = 2, action_servers: int = 2) -> None:
        env = {
            **coach_env(workdir.parent),
            # one recognition worker a replica: two replicas share two cores
            "PSOAS_RECOGNIZER_WORKERS": "1",
        }
        self.cluster = Cluster(workdir, replicas=replicas, action_servers=action_servers, env=env)

    @property
    def url(self) -> str:
        return self.cluster.url

    def start(self) -> None:
        prerender(self.cluster.env)
        self.cluster.start()
        wait_balanced(self.cluster)

    def stop(self) -> None:
        self.cluster.stop()

    def server_pids(self) -> Dict[str, int]:
        return {name: p.pid for name, p in self.cluster.processes.items() if p.poll() is None}

    def support_pids(self) -> Dict[str, int]:
        pids: Dict[str, int] = {}
        pidfile = self.cluster.postgres.data / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            pids["postgres"] = int(pidfile.read_text().split()[0])
        for name, process in (
            ("redis", self.cluster.redis.process),
            ("haproxy", self.cluster.balancer.process),
        ):
            if process is not None and process.poll() is None:
                pids[name] = process.pid
        return pids


def make(key: str, workdir: Path) -> Topology:
    if key == SINGLE:
        return Single(workdir / "single")
    if key == STOCK:
        return Stock(workdir / "stock")
    return ClusterTopology(workdir / "cluster")
