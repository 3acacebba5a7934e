"""Project consistency: the domain, the actions and the rules agree."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
from typing import Dict, Type

import yaml
from rasa_sdk import Action

import actions
from coach.settings import PROJECT_ROOT as ROOT


def _action_classes() -> Dict[str, Type[Action]]:
    found: Dict[str, Type[Action]] = {}
    for module_info in pkgutil.iter_modules(actions.__path__):
        module = importlib.import_module(f"actions.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Action) and cls.__module__ == module.__name__:
                if inspect.isabstract(cls):
                    continue
                action: Action = cls()  # every action builds with no arguments
                found[action.name()] = cls
    return found


def test_every_domain_action_is_implemented_and_every_action_is_declared(domain):
    implemented = _action_classes()
    assert set(domain["actions"]) == set(implemented)


def test_action_names_follow_the_convention():
    for name in _action_classes():
        assert name.startswith("action_") and name == name.lower()


def test_rules_and_stories_use_domain_intents_and_actions(domain):
    intents = set(domain["intents"]) | {"nlu_fallback"}
    acts = set(domain["actions"]) | set(domain["responses"])
    for path in ["data/rules.yml", "data/stories.yml"]:
        with open(ROOT / path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
        for flow in data.get("rules", []) + data.get("stories", []):
            for step in flow["steps"]:
                for option in step.get("or", [step]):
                    if "intent" in option:
                        assert option["intent"] in intents, (path, option)
                if "action" in step:
                    assert step["action"] in acts, (path, step)


def test_config_sets_seeds_and_the_safety_screen_runs_last():
    with open(ROOT / "config.yml", encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    names = [c["name"] for c in config["pipeline"]]
    assert names[-1] == "components.message_screen.MessageScreen"
    seeded = [c for c in config["pipeline"] + config["policies"] if "epochs" in c]
    assert seeded and all(c.get("random_seed") is not None for c in seeded)


def test_importing_the_actions_loads_no_content():
    # the content, routines and safety screen are built by the process's services
    # on first use: importing the actions must not build them
    code = (
        "import sys, actions.answers, actions.safety, actions.guided_stretch, "
        "coach.services as s\n"
        "assert s._process is None\n"
        "assert 'spacy' not in sys.modules and 'tensorflow' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
