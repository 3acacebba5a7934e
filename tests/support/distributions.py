"""Installed Python distributions and hashed requirement files, for checking
what an image installs against what its code loads (``tests/test_deploy.py``)."""

from __future__ import annotations

import re
from importlib import metadata
from typing import Dict, Set

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def requirement_blocks(text: str) -> Dict[str, Set[str]]:
    """``{"name==version": {hashes}}`` of a hashed requirements file."""
    blocks: Dict[str, Set[str]] = {}
    current = ""
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            current = line.split()[0]
            blocks[current] = set()
        blocks[current].update(re.findall(r"--hash=(sha256:[0-9a-f]{64})", line))
    return blocks


def distribution_closure(name: str) -> Set[str]:
    """``name`` and everything it requires (as installed here), canonical names."""
    seen: Set[str] = set()
    todo = [name]
    while todo:
        current = canonicalize_name(todo.pop())
        if current in seen:
            continue
        seen.add(current)
        for line in metadata.requires(current) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


def module_owners() -> Dict[str, Set[str]]:
    """``{top-level module: {distributions}}``, from the files each installed
    distribution has (Python 3.10's ``packages_distributions`` reads only
    ``top_level.txt``, which many wheels lack)."""
    owners: Dict[str, Set[str]] = {}
    for dist in metadata.distributions():
        names = set((dist.read_text("top_level.txt") or "").split())
        for file in dist.files or []:
            first = file.parts[0]
            if first not in ("..", "__pycache__") and not first.endswith(
                (".dist-info", ".egg-info", ".data")
            ):
                names.add(first.split(".")[0])
        for name in names:
            owners.setdefault(name, set()).add(canonicalize_name(dist.metadata["Name"]))
    return owners
