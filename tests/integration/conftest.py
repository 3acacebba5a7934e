"""Fixtures for integration tests: a real stack started from the trained model."""

from __future__ import annotations

from typing import Iterator

import pytest

from coach.tools.cluster import Cluster
from coach.tools.stack import MODEL, Stack, free_port


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run scripts/test (it trains first)")
    running = Stack(
        tmp_path_factory.mktemp("stack"),
        env={
            # tests never touch the network: the offline voice only
            "PSOAS_TTS_ENGINES": "espeak",
            # typed-chat timing: holds start when announced, so tests stay short
            "PSOAS_WORDS_PER_SECOND": "0",
            # every test speaks from this one address: limits out of the way
            # (tests/integration/test_access.py tests them on a stack of its own)
            "PSOAS_VOICE_RATE": "100000/60",
            "PSOAS_VOICE_CONCURRENCY": "64",
            # the one other site allowed: the browser tests' rasa-webchat page
            "PSOAS_CORS_ORIGINS": f"http://127.0.0.1:{free_port()}",
        },
    )
    with running:
        yield running


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The production profile: PostgreSQL, Redis, HAProxy, 2 replicas, 2 action servers."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run scripts/test (it trains first)")
    workdir = tmp_path_factory.mktemp("cluster")
    running = Cluster(
        workdir,
        replicas=2,
        action_servers=2,
        env={
            "PSOAS_TTS_ENGINES": "espeak",
            "PSOAS_WORDS_PER_SECOND": "0",
            "PSOAS_AUDIO_DIR": str(workdir / "audio"),
            # one recognition worker a replica: two replicas share two cores
            "PSOAS_RECOGNIZER_WORKERS": "1",
        },
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()
