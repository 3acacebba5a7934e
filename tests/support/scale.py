"""Helpers for the tests of the production profile (``coach.tools.cluster``):
REST through the balancer or to one replica, and what PostgreSQL holds."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Dict, List, Tuple

from coach.tools.cluster import Cluster

Messages = List[Dict[str, Any]]


def post(
    url: str, sender: str, message: str, replica: str | None = None, timeout: float = 60
) -> Tuple[int, Messages]:
    """POST a message to the REST channel; ``replica`` pins the balancer's cookie."""
    headers = {"Content-Type": "application/json"}
    if replica:
        headers["Cookie"] = f"coach_replica={replica}"
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}).encode(),
        headers=headers,
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:  # the balancer's own answers are in REST's shape too
            return error.code, json.loads(error.read())
        except ValueError:
            return error.code, []


def texts(messages: Messages) -> str:
    return " ".join(str(m.get("text", "")) for m in messages)


def duplicated_events(cluster: Cluster) -> List[Tuple[Any, ...]]:
    return cluster.duplicated_events()


def user_texts(cluster: Cluster, sender: str) -> List[str]:
    rows = cluster.query(
        "SELECT data FROM events WHERE sender_id = %s AND type_name = 'user' ORDER BY id",
        sender,
    )
    return [str(json.loads(data).get("text")) for (data,) in rows]


def lock_errors(cluster: Cluster) -> List[str]:
    return [
        line
        for path in sorted(cluster.workdir.glob("rasa*.log"))
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
        if "LockError" in line
    ]
