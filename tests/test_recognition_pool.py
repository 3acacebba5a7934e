"""Recognition in worker processes (coach/speech/asr/pool.py): parallel requests,
an event loop never blocked, workers that crash, hang or cannot restart.

The pool's mechanics are engine-blind: most tests run pocketsphinx workers
(they load in 0.3 s, and their model folder can be taken away); the last ones
run the default engine, Whisper, through the same pool.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from pathlib import Path
from typing import AsyncIterator, List

import pytest

from coach.settings import POCKETSPHINX, WHISPER
from coach.speech.asr.base import Recognition, RecognitionError
from coach.speech.asr.pool import RecognitionPool
from coach.speech.lm.names import BARGE_IN, COMMANDS, QUESTIONS
from tests.support.recognition import espeak_pcm, fresh_speech_models, silence


@pytest.fixture(scope="module")
def speech_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_speech_models(tmp_path_factory)


# --- the pool: worker processes -----------------------------------------------------------


def recognition_workers() -> List[int]:
    """Our own child processes that are recognition workers (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == os.getpid() and b"coach.speech.asr.worker" in command:
            found.append(int(stat.parent.name))
    return sorted(found)


@pytest.fixture
async def service(speech_models: Path) -> AsyncIterator[RecognitionPool]:
    running = RecognitionPool(speech_models, workers=2, timeout=20, engine=POCKETSPHINX)
    await running.start()
    yield running
    await running.close()


async def test_parallel_requests_are_answered_by_every_worker(service: RecognitionPool):
    assert len(service.pids) == 2
    phrases = [
        ("how do I stretch my psoas", QUESTIONS, "how do i stretch my psoas"),
        ("pause", COMMANDS, "pause"),
        ("stop", BARGE_IN, "stop"),
        ("where is the psoas muscle", QUESTIONS, "where is the psoas muscle"),
        ("how long left", COMMANDS, "how long left"),
        ("resume", COMMANDS, "resume"),
    ]
    audio = [espeak_pcm(said) for said, _, _ in phrases]
    results = await asyncio.gather(
        *(service.recognize(a, model) for a, (_, model, _) in zip(audio, phrases, strict=True))
    )
    assert [r.transcript for r in results] == [heard for _, _, heard in phrases]
    assert [r.model for r in results] == [model for _, model, _ in phrases]
    assert all(r.accepted() for r in results)
    assert len(service.pids) == 2


async def test_the_service_is_not_blocking_the_event_loop(service: RecognitionPool):
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    audio = espeak_pcm("can a tight psoas cause back pain")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(*(service.recognize(audio, QUESTIONS) for _ in range(4)))
    elapsed = loop.time() - started
    ticker.cancel()
    # the loop kept ticking while the workers decoded (blocked, it would not tick
    # at all; the margin is for a busy machine)
    assert ticks >= 0.25 * elapsed / 0.01


async def test_a_killed_worker_is_replaced_and_the_next_request_works(
    service: RecognitionPool,
):
    pause = espeak_pcm("pause")
    assert (await service.recognize(pause, COMMANDS)).transcript == "pause"
    victim = service.pids[0]
    os.kill(victim, signal.SIGKILL)
    await asyncio.sleep(0.3)
    for _ in range(4):  # every worker gets a turn, the dead one's replacement too
        assert (await service.recognize(pause, COMMANDS)).transcript == "pause"
    assert victim not in service.pids
    assert len(service.pids) == 2


async def test_a_worker_killed_mid_request_fails_that_request_only(
    service: RecognitionPool,
):
    audio = espeak_pcm("how do I stretch my psoas")
    pids = service.pids

    async def kill_soon() -> None:
        await asyncio.sleep(0.02)
        for pid in pids:
            os.kill(pid, signal.SIGKILL)

    killer = asyncio.create_task(kill_soon())
    outcomes = await asyncio.gather(
        *(service.recognize(audio * 3, QUESTIONS) for _ in range(2)), return_exceptions=True
    )
    await killer
    assert all(isinstance(o, (Recognition, RecognitionError)) for o in outcomes), outcomes
    result = await service.recognize(audio, QUESTIONS)
    assert result.transcript == "how do i stretch my psoas"
    assert not set(pids) & set(service.pids) and len(service.pids) == 2


async def test_a_hung_worker_times_out_and_is_replaced(speech_models: Path):
    service = RecognitionPool(speech_models, workers=1, timeout=3, engine=POCKETSPHINX)
    try:
        await service.start()
        [hung] = service.pids
        os.kill(hung, signal.SIGSTOP)
        with pytest.raises(RecognitionError):
            await service.recognize(espeak_pcm("pause"), COMMANDS)
        [replacement] = service.pids
        assert replacement != hung
        assert (await service.recognize(espeak_pcm("pause"), COMMANDS)).transcript == "pause"
    finally:
        await service.close()
    with pytest.raises(ProcessLookupError):
        os.kill(hung, 0)  # killed, not left stopped


async def test_when_a_worker_cannot_be_restarted_requests_fail_fast(
    speech_models: Path, tmp_path: Path
):
    models = tmp_path / "speech"
    shutil.copytree(speech_models, models)
    service = RecognitionPool(models, workers=1, timeout=20, engine=POCKETSPHINX)
    try:
        await service.start()
        [worker] = service.pids
        models.rename(tmp_path / "gone")
        os.kill(worker, signal.SIGKILL)
        await asyncio.sleep(0.3)
        for _ in range(2):  # an error each time, not a wait for a worker that never comes
            with pytest.raises(RecognitionError):
                await asyncio.wait_for(service.recognize(espeak_pcm("pause"), COMMANDS), 15)
        (tmp_path / "gone").rename(models)
        result = await asyncio.wait_for(service.recognize(espeak_pcm("pause"), COMMANDS), 15)
        assert result.transcript == "pause"
        assert len(service.pids) == 1
    finally:
        await service.close()


async def test_an_unknown_model_is_refused_before_any_worker_starts(speech_models: Path):
    service = RecognitionPool(speech_models, workers=1, engine=POCKETSPHINX)
    with pytest.raises(ValueError, match="unknown language model"):
        await service.recognize(silence(0.5), "shopping")
    assert service.pids == []


async def test_a_missing_model_folder_fails_at_start(tmp_path: Path):
    service = RecognitionPool(tmp_path / "nowhere", workers=2, timeout=20, engine=POCKETSPHINX)
    try:
        with pytest.raises(RecognitionError, match="speech models missing"):
            await service.start()
        with pytest.raises(RecognitionError):
            await service.recognize(silence(0.5), QUESTIONS)
        assert service.pids == []
        assert recognition_workers() == []  # none left running
    finally:
        await service.close()


async def test_start_is_idempotent_and_close_stops_every_worker(speech_models: Path):
    service = RecognitionPool(speech_models, workers=2, timeout=20, engine=POCKETSPHINX)
    await asyncio.gather(service.start(), service.start())
    pids = service.pids
    assert len(pids) == 2 and recognition_workers() == sorted(pids)
    await service.start()
    assert service.pids == pids
    await service.close()
    assert service.pids == [] and recognition_workers() == []
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


# --- the default engine through the pool ------------------------------------------------


async def test_whisper_workers_answer_in_parallel(speech_models: Path):
    service = RecognitionPool(speech_models, workers=2, timeout=30, engine=WHISPER)
    try:
        await service.start()
        assert len(service.pids) == 2
        phrases = [("stop", BARGE_IN), ("pause", COMMANDS), ("switch sides", COMMANDS)]
        results = await asyncio.gather(
            *(service.recognize(espeak_pcm(said), model) for said, model in phrases)
        )
        assert [r.transcript for r in results] == [said for said, _ in phrases]
        assert {r.engine for r in results} == {WHISPER}
        assert all(r.accepted() for r in results)
    finally:
        await service.close()
    assert recognition_workers() == []


async def test_whisper_without_its_weights_fails_at_start(speech_models: Path, tmp_path: Path):
    service = RecognitionPool(
        speech_models, workers=1, timeout=30, engine=WHISPER, whisper_model=tmp_path
    )
    try:
        with pytest.raises(RecognitionError, match=r"model\.bin"):
            await service.start()
        assert service.pids == [] and recognition_workers() == []
    finally:
        await service.close()
