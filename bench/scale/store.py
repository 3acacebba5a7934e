"""What the production profile's PostgreSQL holds: events written twice, each
conversation's messages, the events table's size."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

from coach.intents import CUE_INTENT
from coach.tools.cluster import Cluster


def query(cluster: Cluster, sql: str, *args: Any) -> List[Tuple[Any, ...]]:
    return cluster.query(sql, *args)


def duplicated_events(cluster: Cluster, senders: Sequence[str]) -> List[Tuple[Any, ...]]:
    return cluster.duplicated_events(senders) if senders else []


def user_events(cluster: Cluster, senders: Sequence[str]) -> Dict[str, Dict[str, int]]:
    """Per conversation: user messages typed, and timed cues (reminders) run."""
    rows = query(
        cluster,
        "SELECT sender_id, (data::json->'parse_data'->'intent'->>'name') = %s, count(*) "
        "FROM events WHERE type_name = 'user' AND sender_id = ANY(%s) GROUP BY 1, 2",
        CUE_INTENT,
        list(senders),
    )
    counts: Dict[str, Dict[str, int]] = {s: {"typed": 0, "cues": 0} for s in senders}
    for sender, is_cue, count in rows:
        counts[sender]["cues" if is_cue else "typed"] += int(count)
    return counts


def events_size(cluster: Cluster) -> Dict[str, Any]:
    rows = query(
        cluster,
        "SELECT count(*), count(DISTINCT sender_id), pg_total_relation_size('events') FROM events",
    )
    events, conversations, size = rows[0]
    return {
        "events": int(events),
        "conversations": int(conversations),
        "mib": round(int(size) / 2**20, 1),
    }
