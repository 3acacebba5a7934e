"""Shared fixtures: the test's services, a dispatcher, a tracker factory, the domain, and an
action runner. (Helpers that are not fixtures live in ``tests/support/``.)"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Dict, Iterable, List

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import CoachAction
from coach.routine.library import YamlRoutineLibrary
from coach.routine.machine import RoutineMachine
from coach.services import Services
from coach.settings import PROJECT_ROOT
from coach.speech.lm.corpus import SpeechContent
from coach.speech.lm.normalise import Normaliser
from tests.support.routine import ROUTINES_YML
from tests.support.speech_models import pocketsphinx_cmudict
from tests.support.trackers import build_tracker

TrackerFactory = Callable[..., Tracker]


@pytest.fixture
def services() -> Services:
    """This test's own composition root (the shipped content, settings from defaults)."""
    return Services()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    with open(PROJECT_ROOT / "domain.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture
def tracker_factory(services: Services) -> TrackerFactory:
    """Builds a tracker whose latest message is ``text`` classified as ``intent``.

    With ``screen=True`` the message first goes through the real safety screen
    (this test's ``services``), as it does in the NLU pipeline, so safety entities
    are the ones it finds.
    """

    def make(
        text: str = "",
        intent: str | None = None,
        entities: Iterable[Dict[str, Any]] = (),
        slots: Dict[str, Any] | None = None,
        events: List[Dict[str, Any]] | None = None,
        screen: bool = False,
        sender_id: str = "test-user",
    ) -> Tracker:
        return build_tracker(
            text,
            intent,
            entities,
            slots,
            events,
            screen=services.safety if screen else None,
            sender_id=sender_id,
        )

    return make


@pytest.fixture
def run_action(
    dispatcher: CollectingDispatcher, domain: Dict[str, Any], services: Services
) -> Callable[[Action, Tracker], List[Dict[str, Any]]]:
    """Runs an action the way the action server does and returns its events.

    An action built with no services (as rasa-sdk builds them) is run with this
    test's ``services`` instead of the process's.
    """

    def run(action: Action, tracker: Tracker) -> List[Dict[str, Any]]:
        if isinstance(action, CoachAction) and action._services is None:
            action = type(action)(services)
        return asyncio.run(action.run(dispatcher, tracker, domain))

    return run


# -- the routine machine under a fake clock (tests/test_routine*.py) ----------------------


@pytest.fixture(scope="module")
def library() -> YamlRoutineLibrary:
    return YamlRoutineLibrary(ROUTINES_YML)


@pytest.fixture
def machine(library: YamlRoutineLibrary) -> RoutineMachine:
    """No speech lead-in, so that the times in the routine tests are round numbers."""
    return RoutineMachine(library, words_per_second=None)


# -- the speech-model builder (tests/test_speech_model*.py) -------------------------------


@pytest.fixture(scope="module")
def cmudict() -> Dict[str, List[List[str]]]:
    return pocketsphinx_cmudict()


@pytest.fixture(scope="module")
def speech_content() -> SpeechContent:
    return SpeechContent.load()


@pytest.fixture(scope="module")
def normaliser(cmudict, speech_content: SpeechContent) -> Normaliser:
    known = frozenset(cmudict) | frozenset(speech_content.pronunciations)
    return Normaliser(speech_content.corrections, known)
