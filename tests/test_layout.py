"""The test and benchmark layout: shared helpers live in ``tests/support/``.

- No module under ``tests/`` imports another test module (nor a ``conftest``):
  what several test modules share is in the ``tests.support`` package, and
  fixtures are found by pytest in the ``conftest.py`` files, never imported.
- No benchmark (``bench/``) imports anything of ``tests/``: what a benchmark
  shares with the tests (speech made with espeak-ng, a running stack) lives in
  ``coach.tools``.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator, List, Set

from coach.settings import PROJECT_ROOT as ROOT

SUPPORT = "tests.support"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def python_files(folder: str) -> Iterator[Path]:
    yield from sorted((ROOT / folder).rglob("*.py"))


def imported(path: Path) -> Set[str]:
    """Every module the file at ``path`` imports."""
    text = path.read_text(encoding="utf-8")
    return imports_of(text, module_name(path), is_package=path.name == "__init__.py")


def imports_of(text: str, module: str, is_package: bool = False) -> Set[str]:
    """Every module ``text`` (the source of ``module``) imports, at the top or inside
    functions, as absolute names; ``from a import b`` counts as both ``a`` and
    ``a.b`` (``b`` may be a module), and relative imports are resolved against the
    module's package."""
    package = module if is_package else module.rpartition(".")[0]
    found: Set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def within(module: str, root: str) -> bool:
    return module == root or module.startswith(root + ".")


def reaches_a_test_module(module: str) -> bool:
    """An import that reaches into a test module (or a conftest), not the shared helpers.
    ``tests`` alone is the package, which ``from tests.support import x`` names too."""
    return within(module, "tests") and module != "tests" and not within(module, SUPPORT)


def test_no_test_module_imports_another_test_module() -> None:
    found: List[str] = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files("tests")
        for module in sorted(imported(path))
        if reaches_a_test_module(module)
    ]
    assert found == []


def test_no_benchmark_imports_the_tests() -> None:
    found: List[str] = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files("bench")
        for module in sorted(imported(path))
        if within(module, "tests")
    ]
    assert found == []


def test_the_rule_sees_absolute_relative_and_nested_imports() -> None:
    source = (
        "from tests.integration.test_socketio import Listener\n"
        "from .conftest import stack\n"
        "def f():\n"
        "    import tests.test_recognition\n"
        "from tests.support.speech import COACH_CUES\n"
        "from tests.support import trackers\n"
    )
    found = imports_of(source, "tests.integration.test_sample")
    offending = sorted(m for m in found if reaches_a_test_module(m))
    assert offending == [
        "tests.integration.conftest",
        "tests.integration.conftest.stack",
        "tests.integration.test_socketio",
        "tests.integration.test_socketio.Listener",
        "tests.test_recognition",
    ]
