"""The production profile on one machine: PostgreSQL, Redis, HAProxy, N Rasa
replicas and M action servers (``scripts/run --scale N``, the scale tests,
``bench/scale``).

Every replica runs ``rasa run`` with ``deploy/endpoints.prod.yml``, which takes
everything from the environment this sets: the same configuration a cluster
uses (docs/deploy.md). The first replica starts alone (Rasa creates the
tracker table on start), the others after it. ``python -m coach.tools.cluster``
runs it until Ctrl-C, starting again any server that stops.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from coach.services import Services
from coach.settings import PROJECT_ROOT, Settings
from coach.tools.local_services import Balancer, Postgres, Redis, free_port
from coach.tools.rasa_args import cors_arguments
from coach.tools.stack import MODEL, RASA, stop_process, wait_for

logger = logging.getLogger("coach.cluster")

PROD_ENDPOINTS = PROJECT_ROOT / "deploy" / "endpoints.prod.yml"
# a replica killed mid-message leaves its conversation's lock behind this long
# (Rasa's default is 60 s): a message takes well under a second here
LOCK_LIFETIME_SECONDS = 15
# what the scale tests and bench.scale ask while they load or break the profile
SAMPLE_QUESTIONS = (
    "how do I stretch my psoas",
    "what is the psoas",
    "where is the psoas",
    "how often should I stretch",
    "thanks",
)


class Cluster:
    def __init__(
        self,
        workdir: Path,
        replicas: int = 2,
        action_servers: int = 2,
        env: Dict[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.postgres = Postgres(workdir, free_port())
        self.redis = Redis(workdir, free_port())
        self.balancer = Balancer(workdir, port or free_port(), free_port())
        self.ports: Dict[str, int] = {f"rasa{i + 1}": free_port() for i in range(replicas)}
        self.ports.update({f"actions{i + 1}": free_port() for i in range(action_servers)})
        self.processes: Dict[str, subprocess.Popen[bytes]] = {}
        self.env = {
            **os.environ,
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "RASA_TELEMETRY_ENABLED": "false",
            "TICKET_LOCK_LIFETIME": str(LOCK_LIFETIME_SECONDS),
            # the client address is the one HAProxy forwards (per-address voice limits)
            "SANIC_PROXIES_COUNT": "1",
            **self.postgres.env(),
            **self.redis.env(),
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.balancer.actions_port}/webhook",
            **(env or {}),
        }
        self.settings = Settings.from_env(self.env)

    @property
    def replicas(self) -> List[str]:
        return [name for name in self.ports if name.startswith("rasa")]

    @property
    def action_servers(self) -> List[str]:
        return [name for name in self.ports if name.startswith("actions")]

    @property
    def url(self) -> str:
        return f"http://localhost:{self.balancer.port}"

    def replica_url(self, name: str) -> str:
        return f"http://localhost:{self.ports[name]}"

    def command(self, name: str) -> List[str]:
        port = str(self.ports[name])
        if name.startswith("actions"):
            return [RASA, "run", "actions", "--actions", "actions", "--port", port]
        return [
            RASA, "run", "--model", str(MODEL), "--port", port, *cors_arguments(self.settings),
            "--credentials", str(PROJECT_ROOT / "credentials.yml"),
            "--endpoints", str(PROD_ENDPOINTS),
        ]  # fmt: skip

    def spawn(self, name: str) -> subprocess.Popen[bytes]:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        process = subprocess.Popen(
            self.command(name), cwd=PROJECT_ROOT, env=self.env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.processes[name] = process
        return process

    def wait_up(self, name: str, seconds: float = 240) -> None:
        path = "/health" if name.startswith("actions") else "/"
        wait_for(f"http://localhost:{self.ports[name]}{path}", self.processes[name], seconds)

    def start(self) -> None:
        self.postgres.start()
        self.redis.start()
        trouble = Services(self.settings).content.message("trouble").reply
        self.balancer.write_config(
            [(n, self.ports[n]) for n in self.replicas],
            [(n, self.ports[n]) for n in self.action_servers],
            {"text": trouble.text, "spoken": trouble.spoken},
        )
        for name in self.action_servers:
            self.spawn(name)
        first, *others = self.replicas
        self.spawn(first)
        for name in self.action_servers:
            self.wait_up(name)
        self.balancer.start()
        self.wait_up(first)
        for name in others:
            self.spawn(name)
        for name in others:
            self.wait_up(name)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """``kill -9`` (by default) a replica or an action server."""
        process = self.processes[name]
        os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def restart(self, name: str) -> None:
        self.spawn(name)
        self.wait_up(name)

    def query(self, sql: str, *args: Any) -> List[Tuple[Any, ...]]:
        """Rows of ``sql`` on the tracker store's PostgreSQL (tests, benchmarks)."""
        import psycopg2

        conn = psycopg2.connect(connect_timeout=10, **self.postgres.connection())
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql, args)
                return list(cursor.fetchall())
        finally:
            conn.close()

    def duplicated_events(self, senders: Sequence[str] | None = None) -> List[Tuple[Any, ...]]:
        """Events written twice: the same conversation and the same event (Rasa's
        events carry their own timestamps, so two real ones never match)."""
        where = "WHERE sender_id = ANY(%s) " if senders is not None else ""
        args = (list(senders),) if senders is not None else ()
        return self.query(
            "SELECT sender_id, type_name, count(*) FROM events "
            f"{where}GROUP BY sender_id, type_name, data HAVING count(*) > 1",
            *args,
        )

    def stop(self) -> None:
        for name in [*self.replicas, *self.action_servers]:
            stop_process(self.processes.get(name))
        self.balancer.stop()
        self.redis.stop()
        self.postgres.stop()

    def supervise(self, stopping: List[bool]) -> None:
        """Starts again any server that stopped, until ``stopping`` holds True."""
        while not stopping:
            for name, process in list(self.processes.items()):
                if process.poll() is not None and not stopping:
                    logger.warning(
                        "%s stopped (exit %s): starting it again", name, process.returncode
                    )
                    self.spawn(name)
            for _ in range(20):
                if stopping:
                    return
                time.sleep(0.1)


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--action-servers", type=int, default=2)
    parser.add_argument("--port", type=int, default=5005, help="the balancer's port")
    parser.add_argument("--workdir", type=Path, default=PROJECT_ROOT / "state" / "cluster")
    args = parser.parse_args(argv)
    logging.basicConfig(format="[psoas] %(message)s", level=logging.INFO)
    cluster = Cluster(args.workdir, args.replicas, args.action_servers, port=args.port)
    stopping: List[bool] = []

    def on_signal(signum: int, frame: object) -> None:
        stopping.append(True)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        cluster.start()
        print(f"ready {cluster.url}", flush=True)
        cluster.supervise(stopping)
    except Exception as error:  # a server that cannot start: say which, then stop the rest
        logger.error("the scaled profile could not start: %s (logs in %s)", error, args.workdir)
        return 1
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
