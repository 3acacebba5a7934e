"""scripts/run trains only when the model's inputs changed, and says which
(coach/tools/training_inputs.py)."""

from __future__ import annotations

from pathlib import Path

from coach.tools import training_inputs as inputs


def project(root: Path) -> Path:
    (root / "data").mkdir()
    (root / "config.yml").write_text("recipe: default.v1\n")
    (root / "domain.yml").write_text("intents: [greet]\n")
    (root / "data" / "nlu.yml").write_text("nlu: []\n")
    (root / "data" / "rules.yml").write_text("rules: []\n")
    return root


def trained(root: Path) -> None:
    (root / inputs.MODEL).parent.mkdir(parents=True, exist_ok=True)
    (root / inputs.MODEL).write_bytes(b"model")
    inputs.record(root)


def test_no_model_means_training(tmp_path: Path):
    root = project(tmp_path)
    assert inputs.reasons_to_train(root) == [
        "there is no trained model yet (models/psoas-coach.tar.gz)"
    ]


def test_a_model_without_a_record_is_trained_again(tmp_path: Path):
    root = project(tmp_path)
    trained(root)
    (root / inputs.RECORD).unlink()
    assert "does not say what the model was trained on" in inputs.reasons_to_train(root)[0]


def test_up_to_date_until_an_input_changes(tmp_path: Path):
    root = project(tmp_path)
    trained(root)
    assert inputs.reasons_to_train(root) == []
    (root / "data" / "nlu.yml").write_text("nlu: [changed]\n")
    (root / "data" / "stories.yml").write_text("stories: []\n")
    (root / "data" / "rules.yml").unlink()
    assert inputs.reasons_to_train(root) == [
        "data/nlu.yml changed",
        "data/rules.yml was removed",
        "data/stories.yml is new",
    ]
    inputs.record(root)
    assert inputs.reasons_to_train(root) == []


def test_content_and_code_are_not_inputs(tmp_path: Path):
    root = project(tmp_path)
    trained(root)
    (root / "content").mkdir()
    (root / "content" / "answers.yml").write_text("answers: {}\n")
    (root / "actions.py").write_text("# code\n")
    assert inputs.reasons_to_train(root) == []


def test_the_rasa_version_is_an_input(tmp_path: Path, monkeypatch):
    root = project(tmp_path)
    trained(root)
    monkeypatch.setattr(inputs.metadata, "version", lambda name: "9.9.9")
    [reason] = inputs.reasons_to_train(root)
    assert reason.startswith("Rasa ") and reason.endswith("became 9.9.9")
