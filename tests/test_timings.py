"""Where a request's time went (``coach.timings``): the Server-Timing header."""

from __future__ import annotations

import asyncio

import pytest

from coach.timings import Timings, collecting, current, parse_header, stage


def test_a_stage_run_twice_is_summed_and_counted():
    timings = Timings()
    timings.add("asr", 0.25)
    timings.add("asr", 0.125)
    timings.add("nlu", 0.0305)
    assert timings.seconds("asr") == pytest.approx(0.375)
    assert (timings.count("asr"), timings.count("nlu"), timings.count("tts")) == (2, 1, 0)
    assert timings.header() == 'asr;dur=375.0;desc="2", nlu;dur=30.5'


def test_the_header_reads_back_in_milliseconds():
    timings = Timings()
    timings.add("decode", 0.004)
    timings.add("asr_commands", 0.3)
    timings.add("asr_commands", 0.1)
    assert parse_header(timings.header()) == pytest.approx({"decode": 4.0, "asr_commands": 400.0})
    # other servers' entries: no dur, odd spacing, a bad number
    assert parse_header('cache;desc="hit", db ; dur=12, x;dur=oops') == {"db": 12.0}
    assert parse_header("") == {}


def test_a_name_outside_the_header_grammar_is_refused():
    with pytest.raises(ValueError):
        Timings().add("asr commands", 0.1)


def test_time_never_goes_negative():
    timings = Timings()
    timings.add("clock", -1.0)
    assert timings.seconds("clock") == 0.0


async def test_deeper_code_adds_to_the_open_timings_and_to_none_when_none_is_open():
    async def synthesize() -> str:
        with stage("tts"):
            return await asyncio.to_thread(lambda: "audio")

    assert current() is None
    assert await synthesize() == "audio"  # nothing open: it only runs
    timings = Timings()
    with collecting(timings):
        assert current() is timings
        await synthesize()
        await asyncio.create_task(synthesize())  # a task started inside sees it too
    assert current() is None
    assert timings.count("tts") == 2


async def test_concurrent_requests_keep_their_own_timings():
    async def request(seconds: float) -> Timings:
        timings = Timings()
        with collecting(timings), stage("work"):
            await asyncio.sleep(seconds)
        return timings

    short, long = await asyncio.gather(request(0.01), request(0.05))
    assert (short.count("work"), long.count("work")) == (1, 1)
    assert short.seconds("work") < long.seconds("work")
