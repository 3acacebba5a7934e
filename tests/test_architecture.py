"""The house rules of docs/architecture.md, checked on every test run.

- ``coach/`` is the domain: it imports neither Rasa, rasa-sdk nor Sanic, and
  nothing of the Rasa adapters (``actions``, ``channels``, ``components``,
  ``stores``).
- ``actions/`` (the action server) imports no speech code, and the action
  server's process, started as rasa-sdk starts it, loads no speech module.
- The adapters do not import one another's packages sideways: ``channels``,
  ``components`` and ``stores`` do not import ``actions``.
- No module-level singletons outside the composition root (``coach/services.py``):
  no ``global`` statement anywhere else.
- Python files stay short enough to read in one sitting (400 lines), unless
  the file says at its top why it is longer.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("coach", "actions", "channels", "components", "stores", "bench", "tests")
MAX_LINES = 400
LONG_FILE_NOTE = "long file:"  # in a file's first lines: why it is longer than MAX_LINES
RASA = ("rasa", "rasa_sdk", "sanic")
ADAPTERS = ("actions", "channels", "components", "stores")


def python_files(*packages: str) -> Iterator[Path]:
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))


def imported_modules(path: Path) -> Set[str]:
    """Every module a file imports, at the top or inside functions (absolute names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def under(module: str, roots: Tuple[str, ...]) -> bool:
    return any(module == root or module.startswith(root + ".") for root in roots)


def violations(packages: Tuple[str, ...], forbidden: Tuple[str, ...]) -> List[str]:
    return [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files(*packages)
        for module in sorted(imported_modules(path))
        if under(module, forbidden)
    ]


def test_the_domain_imports_no_rasa_sanic_or_adapter():
    assert violations(("coach",), RASA + ADAPTERS) == []


def test_the_actions_import_no_speech_code():
    assert violations(("actions",), ("coach.speech", "pocketsphinx", "gtts")) == []


def test_channels_and_components_do_not_import_the_actions():
    assert violations(("channels", "components", "stores"), ("actions",)) == []


def test_the_action_server_process_loads_no_speech_module():
    """Imports the actions package as ``rasa run actions`` does (rasa-sdk walks the
    package and registers every action) and lists what got loaded."""
    probe = (
        "import json, sys\n"
        "from rasa_sdk.executor import ActionExecutor\n"
        "executor = ActionExecutor()\n"
        "executor.register_package('actions')\n"
        "print(json.dumps({'actions': sorted(executor.actions), 'modules': sorted(sys.modules)}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "action_start_routine" in loaded["actions"]  # the probe did load the actions
    speech = [
        m
        for m in loaded["modules"]
        if under(m, ("coach.speech", "pocketsphinx", "gtts", "piper", "faster_whisper"))
    ]
    assert speech == []


def test_no_module_level_singletons_outside_the_composition_root():
    found = []
    for path in python_files(*PACKAGES):
        if path == ROOT / "coach" / "services.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found += [
            f"{path.relative_to(ROOT)}:{node.lineno} global {', '.join(node.names)}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Global)
        ]
    assert found == []


# module-level calls that build no shared state
HARMLESS_CALLS = {"getLogger", "TypeVar", "compile", "frozenset", "tuple", "Path"}


def module_state(path: Path) -> List[str]:
    """Module-level lowercase names bound to a mutable container, ``None`` or an object
    built by a call: the shapes a hand-written singleton takes (constants are UPPER_CASE)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if not names or all(n.isupper() or n.lstrip("_").isupper() for n in names):
            continue
        if isinstance(value, ast.Call):
            func = value.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in HARMLESS_CALLS:
                continue
        elif not (
            isinstance(value, (ast.Dict, ast.List, ast.Set))
            or (isinstance(value, ast.Constant) and value.value is None)
        ):
            continue
        found.append(f"{path.relative_to(ROOT)}:{node.lineno} {', '.join(names)}")
    return found


def test_no_module_level_state_outside_the_composition_root():
    found = [
        entry
        for path in python_files("coach", "actions", "channels", "components", "stores")
        if path != ROOT / "coach" / "services.py"
        for entry in module_state(path)
    ]
    assert found == []


def test_python_files_are_short_or_say_why_not():
    long = []
    for path in python_files(*PACKAGES):
        lines = path.read_text(encoding="utf-8").splitlines()
        head = "\n".join(lines[:30]).lower()
        if len(lines) > MAX_LINES and LONG_FILE_NOTE not in head:
            long.append(f"{path.relative_to(ROOT)}: {len(lines)} lines")
    assert long == []


@pytest.mark.parametrize("package", ["coach", "actions", "channels", "components", "stores"])
def test_every_package_has_an_init(package: str):
    folders = {p.parent for p in (ROOT / package).rglob("*.py")}
    assert [f for f in folders if not (f / "__init__.py").exists()] == []
