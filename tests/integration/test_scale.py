"""The production profile under load and failure, with real servers: PostgreSQL,
Redis, HAProxy, two Rasa replicas and two action servers (``coach.tools.cluster``).

A short version of ``bench/scale`` (which has the figures): nothing lost or
written twice, timed cues on time across replicas, a routine that survives the
loss of its replica, and every fault answered with an answer or a clear "try
again", never silence. The faults run last, each leaving the cluster whole.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List, Tuple

import pytest

from coach.intents import RECONNECT_MESSAGE
from coach.settings import PROJECT_ROOT as ROOT
from coach.tools.cluster import LOCK_LIFETIME_SECONDS, SAMPLE_QUESTIONS, Cluster
from coach.tools.hostile import run_hostile
from tests.support.hostile import write_canaries
from tests.support.scale import duplicated_events, lock_errors, post, texts, user_texts
from tests.support.socketio import Listener, has_text, routine_of

pytestmark = pytest.mark.integration

QUESTIONS = SAMPLE_QUESTIONS
TRY_AGAIN = "try again"
CLUSTER_BROWSER_TESTS = sorted((ROOT / "tests" / "browser" / "cluster").glob("*.test.mjs"))


def sender() -> str:
    return f"scale-{uuid.uuid4().hex[:10]}"


def pinned(replica: str) -> dict[str, str]:
    return {"Cookie": f"coach_replica={replica}"}


def into_a_hold(client: Listener, hold: int) -> dict:
    mark = client.mark()
    client.say(f"make it {hold} seconds")
    client.wait_for(lambda m: routine_of(m) is not None, 30, mark)
    mark = client.mark()
    client.say("guide me through the psoas stretch")
    client.wait_for(lambda m: routine_of(m) is not None, 30, mark)
    mark = client.mark()
    client.say("next")
    _, holding = client.wait_for(
        lambda m: (routine_of(m) or {}).get("hold_seconds", 0) > 0, 30, mark
    )
    return holding


def test_any_replica_carries_on_any_conversation(cluster: Cluster):
    who = sender()
    status, first = post(cluster.url, who, "how do I stretch my psoas", replica="rasa1")
    assert status == 200 and "stretch" in texts(first).lower()
    # the follow-up on the other replica knows the topic from PostgreSQL
    status, follow_up = post(cluster.url, who, "how long do I hold it", replica="rasa2")
    assert status == 200 and "30 seconds" in texts(follow_up)
    assert user_texts(cluster, who) == ["how do I stretch my psoas", "how long do I hold it"]


def test_a_short_load_loses_nothing_and_repeats_nothing(cluster: Cluster):
    users = [sender() for _ in range(20)]

    def converse(who: str) -> List[Tuple[int, str]]:
        rng = random.Random(who)
        said = []
        for question in rng.sample(QUESTIONS, 4):
            status, reply = post(cluster.url, who, question)
            said.append((status, texts(reply)))
            time.sleep(rng.uniform(0.3, 1.2))
        return said

    with ThreadPoolExecutor(len(users)) as pool:
        results = dict(zip(users, pool.map(converse, users), strict=True))
    for who, said in results.items():
        assert all(status == 200 and reply for status, reply in said), said
        assert not any(TRY_AGAIN in reply for _, reply in said), said
        assert len(user_texts(cluster, who)) == 4
    assert duplicated_events(cluster) == []
    assert lock_errors(cluster) == []


def test_many_routines_at_once_get_every_cue_once_and_on_time(cluster: Cluster):
    clients = [
        Listener(cluster.url, sender(), headers=pinned(f"rasa{1 + i % 2}")) for i in range(16)
    ]
    try:
        with ThreadPoolExecutor(len(clients)) as pool:
            holds = list(pool.map(lambda c: into_a_hold(c, 10), clients))
        for client, holding in zip(clients, holds, strict=True):
            ends_at = holding["routine"]["hold_ends_at"]
            released_at, _ = client.wait_for(has_text("release"), 40)
            assert ends_at - 0.05 <= released_at <= ends_at + 2
        time.sleep(2)
        for client in clients:
            releases = [t for t in client.texts_since(0) if "release" in t.lower()]
            assert len(releases) == 1, releases
    finally:
        for client in clients:
            client.close()
    assert duplicated_events(cluster) == []
    assert lock_errors(cluster) == []


def test_a_routine_survives_the_loss_of_its_replica(cluster: Cluster):
    client = Listener(cluster.url, sender(), headers=pinned("rasa1"))
    try:
        into_a_hold(client, 20)
        cluster.kill("rasa1")
        client.close()
        # the widget reconnects through the balancer (its cookie names the dead
        # replica: it is sent to the other) and sends its reconnect cue
        again = Listener(cluster.url, client.session_id, headers=pinned("rasa1"))
        try:
            again.say(RECONNECT_MESSAGE)
            _, resumed = again.wait_for(has_text("seconds left"), 30)
            assert resumed["routine"]["status"] == "running"
            again.wait_for(has_text("release"), 40)
        finally:
            again.close()
    finally:
        cluster.restart("rasa1")


@pytest.mark.parametrize("test_file", CLUSTER_BROWSER_TESTS, ids=lambda path: path.name)
def test_the_widget_when_its_replica_dies(cluster: Cluster, test_file: Path):
    """The real widget in Chromium through the balancer (tests/browser/cluster/):
    the routine carries on, and a message its replica died under is reported."""
    node = shutil.which("node")
    assert node and (ROOT / "node_modules" / "playwright-core").is_dir(), "run scripts/test"
    groups = {name: cluster.processes[name].pid for name in cluster.processes}
    try:
        result = subprocess.run(
            [node, "--test", "--test-reporter=spec", str(test_file)],
            cwd=ROOT,
            env={
                **os.environ,
                "COACH_URL": cluster.url,
                "REPLICA_PGIDS": json.dumps({n: groups[n] for n in cluster.replicas}),
                "ACTION_PGIDS": json.dumps({n: groups[n] for n in cluster.action_servers}),
                "TEST_OUTPUT": str(ROOT / "test-output" / "browser"),
            },
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        for name in [*cluster.replicas, *cluster.action_servers]:
            if cluster.processes[name].poll() is not None:
                cluster.restart(name)
    print(result.stdout[-3000:])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_a_thousand_hostile_requests_through_the_balancer(cluster: Cluster):
    """The hostile-input plan (``coach.tools.hostile``) against the balancer and
    both replicas behind it: no 5xx, nothing read outside the served folders,
    every replica still up and answering."""
    canaries = write_canaries(cluster.workdir)
    try:
        report = run_hostile(
            cluster.url,
            1000,
            seed=1,
            canary=canaries.secret,
            canary_paths=[str(path) for path in canaries.paths],
        )
    finally:
        canaries.remove()
    print(report.summary())
    assert report.requests >= 1000
    assert report.server_errors == 0, "\n".join(report.findings())
    assert not report.canary_seen
    assert all(cluster.processes[name].poll() is None for name in cluster.replicas)
    for replica in cluster.replicas:
        status, reply = post(cluster.url, sender(), "what is the psoas", replica=replica)
        assert status == 200 and "psoas" in texts(reply).lower()
    assert duplicated_events(cluster) == []


def test_an_action_server_killed_mid_conversation(cluster: Cluster):
    who = sender()
    cluster.kill("actions1")
    try:
        for question in QUESTIONS:
            status, reply = post(cluster.url, who, question)
            # HAProxy sends the call to the other action server
            assert status == 200 and reply and TRY_AGAIN not in texts(reply)
    finally:
        cluster.restart("actions1")
    assert len(user_texts(cluster, who)) == len(QUESTIONS)


def restart_while_talking(cluster: Cluster, restart) -> List[str]:
    """Keeps one conversation talking while ``restart`` runs; returns every reply.
    Every message answered is in PostgreSQL once; one told to try again is not."""
    who, replies = sender(), []
    assert post(cluster.url, who, "how do I stretch my psoas")[0] == 200
    done = threading.Event()

    def talk() -> None:
        while not done.is_set():
            status, reply = post(cluster.url, who, "what is the psoas", timeout=30)
            replies.append(texts(reply) if status == 200 else f"HTTP {status}")
            time.sleep(0.2)

    talker = threading.Thread(target=talk)
    talker.start()
    time.sleep(1)
    restart()
    time.sleep(2)
    done.set()
    talker.join(60)
    # the conversation is whole: the follow-up still knows the stretch topic
    status, follow_up = post(cluster.url, who, "how long do I hold it")
    assert status == 200 and "30 seconds" in texts(follow_up)
    answered = [r for r in replies if TRY_AGAIN not in r]
    assert len(user_texts(cluster, who)) == 1 + len(answered) + 1
    return replies


def test_a_postgresql_restart_is_ridden_out(cluster: Cluster):
    replies = restart_while_talking(cluster, cluster.postgres.restart)
    assert replies and all(r and not r.startswith("HTTP") for r in replies), replies
    assert all("psoas" in r.lower() or TRY_AGAIN in r for r in replies), replies
    assert duplicated_events(cluster) == []


def test_a_redis_restart_is_answered_never_silent(cluster: Cluster):
    replies = restart_while_talking(cluster, cluster.redis.restart)
    assert replies and all(r and not r.startswith("HTTP") for r in replies), replies
    assert all("psoas" in r.lower() or TRY_AGAIN in r for r in replies), replies
    assert duplicated_events(cluster) == []


def test_a_replica_killed_holding_a_lock_does_not_stick_it(cluster: Cluster):
    who = sender()
    post(cluster.url, who, "hello", replica="rasa1")
    # freeze the action servers, so the next message holds its lock on rasa1
    # when rasa1 dies
    frozen = [cluster.processes[n].pid for n in cluster.action_servers]
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    in_flight: List[Tuple[int, List]] = []
    stuck = threading.Thread(
        target=lambda: in_flight.append(post(cluster.url, who, "what is the psoas", "rasa1", 30))
    )
    try:
        stuck.start()
        time.sleep(2)
        cluster.kill("rasa1")
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    stuck.join(60)
    # the message its replica died under is answered by the balancer: try again
    [(code, answer)] = in_flight
    assert code == 502 and TRY_AGAIN in texts(answer), (code, answer)
    began = time.monotonic()
    status, reply = post(cluster.url, who, "how do I stretch my psoas", replica="rasa2")
    waited = time.monotonic() - began
    cluster.restart("rasa1")
    assert status == 200 and "stretch" in texts(reply).lower()
    assert waited <= LOCK_LIFETIME_SECONDS + 5
