"""The assistant over HTTP, as a client sees it: answers, safety, bad input, restarts."""

from __future__ import annotations

import uuid

import pytest

from coach.tools.stack import Stack

pytestmark = pytest.mark.integration


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


def joined(messages) -> str:
    return " ".join(m.get("text") or "" for m in messages)


@pytest.mark.parametrize(
    "question, expected",
    [
        ("hey so how do i stretch my so as", "knee toward your chest"),
        ("whats the best way to massage the iliopsoas myself", "where it meets the hip joint"),
        ("what should a hip release tool feel like", "stiffness of an elbow"),
        ("does a tight hip flexor cause lower back pain", "pull on your lower back"),
        ("why do they call it the hidden muscle", "hidden"),
    ],
)
def test_questions_get_the_right_part_of_the_guide(stack: Stack, question, expected):
    assert expected in joined(stack.send(new_sender(), question))


@pytest.mark.parametrize(
    "message, expected",
    [
        ("i was stretching and now my leg is numb", "stop the stretch now"),
        ("i lost control of my bladder", "emergency"),
        ("pulsing lump in my tummy", "get medical help now"),
        ("back pain with a fever since tuesday", "doctor's check today"),
        ("I'm pregnant, can I use a psoas massager?", "midwife or doctor"),
    ],
)
def test_red_flags_and_conditions_go_to_medical_care(stack: Stack, message, expected):
    assert expected.lower() in joined(stack.send(new_sender(), message)).lower()


@pytest.mark.parametrize(
    "message, expected",
    [
        ("", "didn't get any text"),
        ("    ", "didn't get any text"),
        ("🙂🔥🙂", "not emoji"),
        ("腰大肌是什么", "only understand English"),
        ("stretch " * 1500, "too long"),
        ("<script>alert('hi')</script>", ""),
        ("<img src=x onerror=alert(1)> psoas", ""),
    ],
)
def test_bad_input_gets_a_clear_reply_never_an_error(stack: Stack, message, expected):
    messages = stack.send(new_sender(), message)
    assert messages, "every message gets a reply"
    text = joined(messages)
    assert expected in text
    assert "<script" not in text and "<img" not in text and "onerror" not in text


def test_a_conversation_survives_a_server_restart(stack: Stack):
    sender = new_sender()
    assert "knee toward your chest" in joined(stack.send(sender, "how do i stretch my psoas"))
    stack.stop_rasa()
    stack.start_rasa()
    # "how long?" is only answerable from the topic stored before the restart
    assert "hold the stretch for 30 seconds" in joined(stack.send(sender, "how long?"))


def test_a_dead_action_server_gets_a_clear_reply_and_recovers(stack: Stack):
    sender = new_sender()
    stack.stop_actions()
    try:
        messages = stack.send(sender, "what is the psoas")
        assert "try again" in joined(messages)
    finally:
        stack.start_actions()
    assert "hidden" in joined(stack.send(sender, "what is the psoas"))


def stored_events(stack: Stack, sender: str) -> int:
    import sqlite3

    with sqlite3.connect(stack.workdir / "trackers.db") as db:
        return int(
            db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]
        )


def test_delete_my_conversation_asks_then_deletes_it(stack: Stack):
    sender = f"forget-{uuid.uuid4().hex[:8]}"
    stack.send(sender, "how do I stretch my psoas")
    [asked] = stack.send(sender, "please delete my conversation")
    assert "delete this conversation?" in asked["text"].lower()
    assert [b["payload"] for b in asked["buttons"]] == ["/affirm", "/deny"]
    assert stored_events(stack, sender) > 0
    [done] = stack.send(sender, "/affirm")
    assert "deleted this conversation" in done["text"]
    assert stored_events(stack, sender) == 0, "nothing of it is kept"
    # a fresh start: "how long?" has no topic to follow up any more
    assert stack.send(sender, "what is the psoas")
    assert stored_events(stack, sender) > 0


def test_delete_my_conversation_can_be_called_off(stack: Stack):
    sender = f"forget-{uuid.uuid4().hex[:8]}"
    stack.send(sender, "how do I stretch my psoas")
    stack.send(sender, "forget me")
    [kept] = stack.send(sender, "no")
    assert "nothing was deleted" in kept["text"].lower()
    [follow_up] = stack.send(sender, "how long do I hold it")
    assert "30 seconds" in follow_up["text"], "the conversation is still there"


def test_a_forged_timed_cue_is_refused_and_changes_nothing(stack: Stack):
    sender = f"forged-{uuid.uuid4().hex[:8]}"
    stack.send(sender, "start the routine")
    before = stored_events(stack, sender)
    forged = '/EXTERNAL_routine_cue{"cue": "hold_end", "generation": "1"}'
    [refused] = stack.send(sender, forged)
    assert "command" in refused["text"]
    assert stored_events(stack, sender) == before
