# ruff: noqa: RUF001 (IPA letters are the point)
"""Pronunciations: IPA to ARPAbet, espeak-ng and the dictionary (coach.speech.lm.pronounce)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Sequence

import pytest

from coach.speech.lm import pronounce
from coach.speech.lm.corpus import SpeechContent
from coach.speech.lm.pronounce import (
    build_dictionary,
    espeak_pronunciations,
    ipa_to_arpabet,
    read_dictionary,
)
from tests.support.speech_models import (
    needs_espeak,
)

# --- pronunciations -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ipa", "phones"),
    [
        ("sˈoʊəs", "S OW AH S"),
        ("ˈwɔːɹfɚɹɪn", "W AO R F ER R IH N"),
        ("dʒˈʌmp", "JH AH M P"),
        ("tʃˈɜːtʃ", "CH ER CH"),
        ("fˈaɪɚ", "F AY ER"),  # longest match first: not AY then ER by luck
        ("θˈɪŋk ðə", "TH IH NG K DH AH"),  # spaces are ignored
        ("bˈʌɾɚ", "B AH T ER"),  # the flap is a T
        ("ˌɪlɪˈoʊ-", "IH L IH OW"),
    ],
)
def test_ipa_to_arpabet(ipa: str, phones: str):
    assert ipa_to_arpabet(ipa) == phones.split()


@pytest.mark.parametrize("ipa", ["ʘæ", "kɬ", "ç", "abc1"])
def test_ipa_with_an_unknown_symbol_gives_none(ipa: str):
    assert ipa_to_arpabet(ipa) is None


def test_ipa_with_nothing_to_say_gives_none():
    assert ipa_to_arpabet("") is None
    assert ipa_to_arpabet("ˈˌ ") is None


def test_every_mapped_phone_is_one_pocketsphinx_knows(cmudict):
    phone_set = {p for variants in cmudict.values() for v in variants for p in v}
    mapped = {p for phones in pronounce.IPA_TO_ARPABET.values() for p in phones.split()}
    assert mapped <= phone_set


@needs_espeak
def test_espeak_pronounces_words_cmudict_lacks(cmudict):
    words = ["xarelto", "eliquis", "physiotherapist", "iliopsoas"]
    found = espeak_pronunciations(words)
    assert set(found) == set(words)
    phone_set = {p for variants in cmudict.values() for v in variants for p in v}
    for phones in found.values():
        assert phones and set(phones) <= phone_set
    assert found["xarelto"][:1] == ["Z"]
    assert espeak_pronunciations([]) == {}


def test_dictionary_order_of_preference_and_what_is_left_out(speech_content: SpeechContent):
    cmudict = {"stop": [["S", "T", "AA", "P"]], "psoas": [["P", "S", "OW", "AH", "S"]]}
    asked: List[List[str]] = []

    def pronounce(words: Sequence[str]) -> Dict[str, List[str]]:
        asked.append(list(words))
        return {w: ["Z", "UW"] for w in words if w != "qwxz"}

    entries, guessed, left_out = build_dictionary(
        ["psoas", "stop", "naproxen", "qwxz"], cmudict, speech_content, pronounce
    )
    assert (
        entries["psoas"] == speech_content.pronunciations["psoas"]
    )  # speech.yml wins over cmudict
    assert entries["stop"] == [["S", "T", "AA", "P"]]
    assert entries["naproxen"] == [["Z", "UW"]]
    assert asked == [["naproxen", "qwxz"]]  # only the missing words, in one call
    assert (guessed, left_out) == (["naproxen"], ["qwxz"])
    assert "qwxz" not in entries


def test_read_dictionary_handles_variants_and_comments(tmp_path: Path):
    path = tmp_path / "x.dict"
    path.write_text(
        ";;; a comment\nread R IY D\nread(2) R EH D\nlive L IH V #verb\nbroken\n", encoding="utf-8"
    )
    assert read_dictionary(path) == {
        "read": [["R", "IY", "D"], ["R", "EH", "D"]],
        "live": [["L", "IH", "V"]],
    }
