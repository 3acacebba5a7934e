"""Fixtures for integration tests: a real stack started from the trained model."""

from __future__ import annotations

from typing import Iterator

import pytest

from coach.tools.stack import MODEL, Stack


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
        },
    )
    try:
        running.start_actions()
        running.start_rasa()
        yield running
    finally:
        running.stop_rasa()
        running.stop_actions()
