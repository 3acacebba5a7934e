"""Pronunciations: cmudict (pocketsphinx's own copy), ``content/speech.yml``, and
for the rest espeak-ng's phonemes mapped to cmudict's phone set (ARPAbet)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Mapping, Sequence, Tuple

from coach.speech.lm.errors import SpeechModelError

if TYPE_CHECKING:
    from coach.speech.lm.corpus import SpeechContent

# espeak-ng's IPA (``--ipa``) to cmudict's ARPAbet, longest match first
IPA_TO_ARPABET: Dict[str, str] = {
    "aɪɚ": "AY ER",
    "aʊɚ": "AW ER",
    "ɑːɹ": "AA R",
    "ɔːɹ": "AO R",
    "oːɹ": "AO R",
    "ɛɹ": "EH R",
    "ɪɹ": "IH R",
    "ʊɹ": "UH R",
    "iə": "IY AH",
    "əl": "AH L",
    "aɪ": "AY",
    "aʊ": "AW",
    "eɪ": "EY",
    "oʊ": "OW",
    "ɔɪ": "OY",
    "dʒ": "JH",
    "tʃ": "CH",
    "ɑː": "AA",
    "ɔː": "AO",
    "ɜː": "ER",
    "iː": "IY",
    "uː": "UW",
    "ɑ": "AA",
    "æ": "AE",
    "ʌ": "AH",
    "ə": "AH",
    "ɐ": "AH",
    "ɔ": "AO",
    "ɛ": "EH",
    "e": "EH",
    "ɚ": "ER",
    "ɝ": "ER",
    "ɪ": "IH",
    "ᵻ": "IH",
    "i": "IY",
    "o": "OW",
    "ʊ": "UH",
    "u": "UW",
    "a": "AE",
    "b": "B",
    "d": "D",
    "ð": "DH",
    "f": "F",
    "ɡ": "G",
    "g": "G",
    "h": "HH",
    "j": "Y",
    "k": "K",
    "l": "L",
    "m": "M",
    "n": "N",
    "ŋ": "NG",
    "p": "P",
    "ɹ": "R",
    "r": "R",
    "ɾ": "T",
    "s": "S",
    "ʃ": "SH",
    "t": "T",
    "θ": "TH",
    "v": "V",
    "w": "W",
    "x": "K",
    "z": "Z",
    "ʒ": "ZH",
    "ʔ": "T",
}
_IPA_KEYS = sorted(IPA_TO_ARPABET, key=len, reverse=True)
_IPA_IGNORED = set("ˈˌː̩ʲ-.")


def ipa_to_arpabet(ipa: str) -> List[str] | None:
    """Phones of one word's IPA, or ``None`` if a symbol is unknown."""
    phones: List[str] = []
    text = "".join(ch for ch in ipa if not ch.isspace())
    i = 0
    while i < len(text):
        if text[i] in _IPA_IGNORED:
            i += 1
            continue
        for key in _IPA_KEYS:
            if text.startswith(key, i):
                phones.extend(IPA_TO_ARPABET[key].split())
                i += len(key)
                break
        else:
            return None
    return phones or None


def espeak_pronunciations(words: Sequence[str], voice: str = "en-us") -> Dict[str, List[str]]:
    """espeak-ng's pronunciation of each word (one process for all of them)."""
    if not words:
        return {}
    binary = shutil.which("espeak-ng") or shutil.which("espeak")
    if binary is None:
        raise SpeechModelError(f"espeak-ng is needed to pronounce: {', '.join(words)}")
    result = subprocess.run(
        [binary, "-q", "-v", voice, "--ipa", "--sep= "],
        input="\n".join(words) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    if len(lines) != len(words):
        # espeak joined or split lines: fall back to one word at a time
        return {
            word: phones
            for word in words
            for phones in [_espeak_one(binary, voice, word)]
            if phones is not None
        }
    found = {}
    for word, line in zip(words, lines, strict=True):
        phones = ipa_to_arpabet(line)
        if phones is not None:
            found[word] = phones
    return found


def _espeak_one(binary: str, voice: str, word: str) -> List[str] | None:
    result = subprocess.run(
        [binary, "-q", "-v", voice, "--ipa", "--sep= ", word],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return ipa_to_arpabet(result.stdout.strip())


def cmudict_path() -> Path:
    """pocketsphinx's own copy of cmudict (imported only here, when building)."""
    from pocketsphinx import get_model_path

    return Path(get_model_path()) / "en-us" / "cmudict-en-us.dict"


def read_dictionary(path: Path) -> Dict[str, List[List[str]]]:
    """A cmudict-format file: ``word(2) PH ON ES`` lines -> word -> pronunciations."""
    entries: Dict[str, List[List[str]]] = defaultdict(list)
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) < 2 or line.startswith(";;;"):
                continue
            word = re.sub(r"\(\d+\)$", "", parts[0])
            phones = [p for p in parts[1:] if not p.startswith("#")]
            if phones:
                entries[word].append(phones)
    return dict(entries)


def build_dictionary(
    vocabulary: Sequence[str],
    cmudict: Mapping[str, List[List[str]]],
    content: SpeechContent,
    pronounce: Callable[[Sequence[str]], Dict[str, List[str]]] = espeak_pronunciations,
) -> Tuple[Dict[str, List[List[str]]], List[str], List[str]]:
    """word -> pronunciations; also the words guessed by espeak-ng, and those left out."""
    entries: Dict[str, List[List[str]]] = {}
    missing = []
    for word in vocabulary:
        if word in content.pronunciations:
            entries[word] = content.pronunciations[word]
        elif word in cmudict:
            entries[word] = cmudict[word]
        else:
            missing.append(word)
    guessed = pronounce(missing)
    for word, phones in guessed.items():
        entries[word] = [phones]
    unpronounceable = [w for w in missing if w not in guessed]
    return entries, sorted(guessed), unpronounceable
