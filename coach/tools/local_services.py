"""PostgreSQL, Redis and HAProxy from Debian's packages, run as plain processes
on loopback for the production profile on one machine (``coach.tools.cluster``):
``scripts/run --scale N``, the scale tests and ``bench/scale``.

Each keeps its data in a folder of its own and listens on 127.0.0.1 only, with
a password generated once per folder (kept in a 0600 file beside the data).
PostgreSQL will not run as root: as root, it runs as Debian's ``postgres``
user, in a folder that user can reach.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from string import Template
from typing import Dict, List, Sequence, Tuple

from coach.settings import PROJECT_ROOT

HAPROXY_TEMPLATE = PROJECT_ROOT / "deploy" / "haproxy.cfg"
PG_USER = "psoas"
PG_DB = "psoas"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    port: int, seconds: float = 30, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {seconds} s")


def password_in(folder: Path, name: str) -> str:
    """A password made once and kept in ``folder/name`` (mode 0600)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(24), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()


def _binary(name: str, *folders: str) -> str:
    found = shutil.which(name) or next(
        (str(Path(f) / name) for f in folders if (Path(f) / name).exists()), None
    )
    if found is None:
        raise FileNotFoundError(f"{name} is not installed (scripts/run --scale installs it)")
    return found


class Postgres:
    """A PostgreSQL server of our own (Debian's binaries) on 127.0.0.1:``port``."""

    def __init__(self, folder: Path, port: int) -> None:
        self.port = port
        self.password = password_in(folder, "postgres.password")
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
        if not versions:
            raise FileNotFoundError("PostgreSQL is not installed (scripts/run --scale installs it)")
        self.bin = versions[-1]
        self.as_root = os.geteuid() == 0
        self.data = self._data_folder(folder)

    def _data_folder(self, folder: Path) -> Path:
        data = folder / "postgres"
        if not self.as_root:
            return data
        reachable = subprocess.run(
            ["runuser", "-u", "postgres", "--", "test", "-x", str(folder)], check=False
        )
        if reachable.returncode == 0:
            return data
        # a folder of root's (pytest's temp folders are 0700): a twin in /var/tmp
        digest = hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:12]
        return Path("/var/tmp") / f"psoas-coach-postgres-{digest}"

    def _run(self, args: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
        command = list(args)
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True)

    def start(self) -> None:
        if not (self.data / "PG_VERSION").exists():
            self._init()
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        self._run(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.data / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        self._create_database()

    def _init(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        pwfile = self.data.parent / f".{self.data.name}.pw"
        pwfile.write_text(self.password, encoding="ascii")
        if self.as_root:
            shutil.chown(self.data, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        try:
            self._run(
                [
                    str(self.bin / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    PG_USER,
                    f"--pwfile={pwfile}",
                    "--auth=scram-sha-256",
                    "-E",
                    "UTF8",
                ]
            )
        finally:
            pwfile.unlink(missing_ok=True)

    def _create_database(self) -> None:
        import psycopg2

        conn = psycopg2.connect(**self.connection("postgres"))
        try:
            conn.autocommit = True  # CREATE DATABASE refuses a transaction
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DB,))
                if cursor.fetchone() is None:
                    cursor.execute(f"CREATE DATABASE {PG_DB}")
        finally:
            conn.close()

    def connection(self, db: str = PG_DB) -> Dict[str, object]:
        return {
            "host": "127.0.0.1",
            "port": self.port,
            "user": PG_USER,
            "password": self.password,
            "dbname": db,
        }

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def restart(self) -> None:
        self.stop()
        self.start()

    def env(self) -> Dict[str, str]:
        return {
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(self.port),
            "DB_NAME": PG_DB,
            "DB_USER": PG_USER,
            "DB_PASSWORD": self.password,
        }


class Redis:
    """A Redis server of our own on 127.0.0.1:``port``, password in its config
    file (not on the command line, where ``ps`` would show it)."""

    def __init__(self, folder: Path, port: int) -> None:
        self.port = port
        self.folder = folder / "redis"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.password = password_in(folder, "redis.password")
        self.config = self.folder / "redis.conf"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # the lock store's tickets only: nothing to keep across a restart
        self.config.write_text(
            f"port {self.port}\nbind 127.0.0.1\nrequirepass {self.password}\n"
            f'save ""\nappendonly no\ndir {self.folder}\n',
            encoding="ascii",
        )
        self.config.chmod(0o600)
        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen(
            [_binary("redis-server"), str(self.config)], stdout=log, stderr=subprocess.STDOUT
        )
        wait_for_port(self.port, 30, self.process)

    def stop(self) -> None:
        stop(self.process)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def env(self) -> Dict[str, str]:
        return {
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(self.port),
            "REDIS_PASSWORD": self.password,
            "REDIS_DB": "0",
        }


class Balancer:
    """HAProxy with ``deploy/haproxy.cfg``: people to the Rasa replicas (sticky),
    Rasa to the action servers."""

    def __init__(self, folder: Path, port: int, actions_port: int) -> None:
        self.folder = folder / "haproxy"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = port
        self.actions_port = actions_port
        self.config = self.folder / "haproxy.cfg"
        self.process: subprocess.Popen[bytes] | None = None

    def write_config(
        self,
        replicas: List[Tuple[str, int]],
        actions: List[Tuple[str, int]],
        trouble: Dict[str, str],
    ) -> None:
        """The config, and the answers HAProxy gives itself when no replica
        could (``trouble``: the coach's "something went wrong, try again")."""
        rasa = "\n".join(f"    server {n} 127.0.0.1:{p} cookie {n}" for n, p in replicas)
        action = "\n".join(f"    server {n} 127.0.0.1:{p}" for n, p in actions)
        for code, reason in ERRORS.items():
            (self.folder / f"{code}.http").write_bytes(error_response(code, reason, trouble))
        text = Template(HAPROXY_TEMPLATE.read_text(encoding="utf-8")).substitute(
            BIND="127.0.0.1",
            PORT=self.port,
            ACTIONS_PORT=self.actions_port,
            RASA_SERVERS=rasa,
            ACTION_SERVERS=action,
            ERRORS=self.folder,
        )
        self.config.write_text(text, encoding="utf-8")

    def start(self) -> None:
        log = open(self.folder / "haproxy.log", "ab")  # noqa: SIM115 - lives as long as the process
        haproxy = _binary("haproxy", "/usr/sbin")
        subprocess.run(
            [haproxy, "-c", "-q", "-f", str(self.config)], check=True, capture_output=True
        )
        self.process = subprocess.Popen(
            [haproxy, "-db", "-f", str(self.config)], stdout=log, stderr=subprocess.STDOUT
        )
        wait_for_port(self.port, 30, self.process)
        wait_for_port(self.actions_port, 30, self.process)

    def stop(self) -> None:
        stop(self.process)
        self.process = None


ERRORS = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def error_response(code: int, reason: str, trouble: Dict[str, str]) -> bytes:
    """A whole HTTP response for HAProxy's ``errorfile``: REST's answer shape
    (a list of messages) saying "something went wrong, try again", so that a
    message whose replica died under it is answered, not met with a bare 502."""
    body = json.dumps([{"recipient_id": None, **trouble}]).encode()
    head = (
        f"HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\n"
        f"Cache-Control: no-store\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def stop(process: subprocess.Popen[bytes] | None, seconds: float = 20) -> None:
    """SIGTERM, then SIGKILL after ``seconds``."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
