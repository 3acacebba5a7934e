# ruff: noqa: RUF001 (IPA letters and a typographic apostrophe are the point)
"""The recogniser's language models, built from the NLU data (actions/speech_model.py)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Dict, List, Sequence

import pytest
import yaml

from coach.content.store import content_dir
from coach.speech.lm import build as speech_model
from coach.speech.lm.build import (
    BARGE_IN,
    BOS,
    COMMANDS,
    DEFAULT_DATA_DIR,
    DICTIONARY,
    EOS,
    MANIFEST,
    MODEL_NAMES,
    QUESTIONS,
    Example,
    Normaliser,
    SpeechContent,
    SpeechModelError,
    arpa_language_model,
    arpa_probability,
    build,
    build_corpus,
    build_dictionary,
    closed_form,
    cmudict_path,
    espeak_pronunciations,
    input_fingerprint,
    ipa_to_arpabet,
    is_stale,
    parse_example,
    read_dictionary,
    read_examples,
)
from coach.text.numbers import number_words

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None and shutil.which("espeak") is None, reason="no espeak-ng"
)


@pytest.fixture(scope="module")
def cmudict() -> Dict[str, List[List[str]]]:
    return read_dictionary(cmudict_path())


@pytest.fixture(scope="module")
def content() -> SpeechContent:
    return SpeechContent.load()


@pytest.fixture(scope="module")
def normaliser(cmudict, content: SpeechContent) -> Normaliser:
    return Normaliser(content.corrections, frozenset(cmudict) | frozenset(content.pronunciations))


# --- normalisation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "spoken"),
    [
        ("How do I stretch my PSOAS?", "how do i stretch my psoas"),
        ("make it 45 seconds", "make it forty five seconds"),
        ("hold for 120 seconds", "hold for one hundred and twenty seconds"),
        ("hold 30s", "hold thirty s"),
        ("is 50% of back pain from the psoas", "is fifty percent of back pain from the psoas"),
        ("I can do 3 sets", "i can do three sets"),
        # typed-only spellings corrected (content/speech.yml)
        ("how ofen to stretch psaos", "how often to stretch psoas"),
        ("hold 45 secs", "hold forty five seconds"),
        ("brb", "be right back"),
        ("i wake up at 7am", "i wake up at seven a m"),
        # apostrophes restored when only the form with one is a word
        ("thats all", "that's all"),
        ("i dont know", "i don't know"),
        ("it’s tight", "it's tight"),  # a typographic apostrophe
        ("'quoted' words", "quoted words"),
    ],
)
def test_typed_text_becomes_recogniser_words(normaliser: Normaliser, typed: str, spoken: str):
    assert " ".join(normaliser.words(typed)) == spoken


def test_words_that_exist_keep_their_spelling(normaliser: Normaliser):
    # "its", "lets", "cant", "im" are words of their own in cmudict: left alone
    assert normaliser.words("its lets") == ["its", "lets"]


def test_apostrophes_and_corrections_with_a_small_vocabulary():
    normaliser = Normaliser({"psaos": "psoas", "um": ""}, frozenset({"that's", "i'm", "psoas"}))
    assert normaliser.words("thats my psaos") == ["that's", "my", "psoas"]
    assert normaliser.words("im fine") == ["i'm", "fine"]
    assert normaliser.words("whats up") == ["whats", "up"]  # no "what's" known: unchanged
    assert normaliser.words("um hello") == ["hello"]  # an empty correction drops the word
    assert normaliser.words("7am") == ["seven", "am"]  # digits then letters, without a correction
    assert normaliser.words("") == []
    assert normaliser.words("?! ...") == []


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (13, "thirteen"),
        (20, "twenty"),
        (45, "forty five"),
        (90, "ninety"),
        (100, "one hundred"),
        (105, "one hundred and five"),
        (120, "one hundred and twenty"),
        (999, "nine hundred and ninety nine"),
        (1000, "one thousand"),
        (2024, "two thousand twenty four"),
        (30_500, "thirty thousand five hundred"),
        (999_999, "nine hundred and ninety nine thousand nine hundred and ninety nine"),
        (-3, "minus three"),
        (1_234_567, "one two three four five six seven"),  # read digit by digit
    ],
)
def test_number_words(n: int, words: str):
    assert number_words(n) == words


# --- reading the NLU data -------------------------------------------------------------


def test_parse_example_with_a_round_bracket_entity():
    example = parse_example("set_hold_duration", "make it [45 seconds](duration) please")
    assert example == Example(
        "set_hold_duration", "make it 45 seconds please", ((8, 18, "duration"),)
    )
    assert example.text[8:18] == "45 seconds"


def test_parse_example_with_a_json_entity():
    example = parse_example(
        "ask_tool",
        'can i use a [psoas massager]{"entity": "tool", "value": "release tool"} today',
    )
    assert example.text == "can i use a psoas massager today"
    [(start, end, entity)] = example.entities
    assert (example.text[start:end], entity) == ("psoas massager", "tool")


def test_parse_example_with_several_entities_roles_and_bad_json():
    example = parse_example(
        "x", '[right](side) for [30 seconds](duration:hold) then [left]{"entity": "side"} [?]{bad}'
    )
    assert example.text == "right for 30 seconds then left ?"
    spans = [(example.text[s:e], entity) for s, e, entity in example.entities]
    assert spans == [("right", "side"), ("30 seconds", "duration"), ("left", "side"), ("?", "")]
    assert parse_example("x", "no entities [here").text == "no entities [here"


def write_nlu(data_dir: Path, intents: Dict[str, Sequence[str]]) -> None:
    lines = ['version: "3.1"', "nlu:"]
    for intent, examples in intents.items():
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {example}" for example in examples]
    lines += ["- synonym: release tool", "  examples: |", "    - massager", "- regex: x"]
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "nlu.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (data_dir / "rules.yml").write_text('version: "3.1"\nrules: []\n', encoding="utf-8")


SMALL_DATA: Dict[str, Sequence[str]] = {
    "ask_what_is_psoas": ["what is the psoas", "whats the psaos", "where is the iliopsoas"],
    "ask_stretch": ["how do i stretch my psoas", "how often should i stretch"],
    "condition": ["I take xarelto", "i am on warfarin"],
    "routine_stop": ["stop", "stop the routine", "that's enough for today thank you very much"],
    "routine_pause": ["pause", "wait"],
    "routine_next": ["next", "next step"],
    "report_red_flag_symptom": ["my foot went numb"],
    "set_hold_duration": ["make it [45 seconds](duration)", "hold for [20 seconds](duration)"],
}


def test_read_examples_takes_intents_and_skips_the_rest(tmp_path: Path):
    write_nlu(tmp_path / "data", SMALL_DATA)
    examples = read_examples(tmp_path / "data")
    assert len(examples) == sum(len(v) for v in SMALL_DATA.values())
    assert {e.intent for e in examples} == set(SMALL_DATA)
    assert Example("set_hold_duration", "make it 45 seconds", ((8, 18, "duration"),)) in examples


def test_the_real_data_is_read():
    examples = read_examples(DEFAULT_DATA_DIR)
    assert len(examples) > 500
    assert {"routine_stop", "routine_pause", "set_hold_duration"} <= {e.intent for e in examples}
    assert not any("](" in e.text or "]{" in e.text for e in examples)


def test_the_corpus_sorts_sentences_into_models(normaliser: Normaliser, content: SpeechContent):
    examples = [parse_example(i, e) for i, all_ in SMALL_DATA.items() for e in all_]
    corpus = build_corpus(examples, content, normaliser.known)
    questions = {" ".join(s) for s in corpus.sentences[QUESTIONS]}
    commands = {" ".join(s) for s in corpus.sentences[COMMANDS]}
    barge_in = {" ".join(s) for s in corpus.sentences[BARGE_IN]}
    assert {"what is the psoas", "stop", "next step", "make it forty five seconds"} <= questions
    assert "what is the psoas" not in commands
    assert {"stop", "next step", "make it ninety seconds", "hold for two minutes"} <= commands
    # spoken durations: every hold a person may ask for, in both templates
    assert {"make it a minute and a half", "hold for five seconds"} <= commands
    # the routine phrases of content/speech.yml join the commands
    assert {"it hurts", "my leg is numb"} <= commands
    # barge-in: only short stop and pause commands, and the barge-in phrases
    assert {"stop", "stop the routine", "pause", "wait", "ouch", "hold on"} <= barge_in
    assert "next" not in barge_in and "next step" not in barge_in
    assert "that's enough for today thank you very much" not in barge_in  # too long
    # its decoys: the other short routine commands, never a stop, a pause or a red flag
    decoys = {" ".join(s) for s in corpus.decoys[BARGE_IN]}
    assert "next step" in decoys and not decoys & barge_in
    assert "my foot went numb" not in decoys and "stop" not in decoys
    assert corpus.vocabulary() == sorted(corpus.vocabulary())
    assert "psaos" not in corpus.vocabulary()


def test_closed_form_drops_fillers():
    assert closed_form(["um", "stop", "please"]) == "stop"
    assert closed_form(["okay", "coach", "pause", "the", "timer"]) == "pause the timer"
    assert closed_form(["uh"]) == ""


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
    mapped = {p for phones in speech_model.IPA_TO_ARPABET.values() for p in phones.split()}
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


def test_dictionary_order_of_preference_and_what_is_left_out(content: SpeechContent):
    cmudict = {"stop": [["S", "T", "AA", "P"]], "psoas": [["P", "S", "OW", "AH", "S"]]}
    asked: List[List[str]] = []

    def pronounce(words: Sequence[str]) -> Dict[str, List[str]]:
        asked.append(list(words))
        return {w: ["Z", "UW"] for w in words if w != "qwxz"}

    entries, guessed, left_out = build_dictionary(
        ["psoas", "stop", "naproxen", "qwxz"], cmudict, content, pronounce
    )
    assert entries["psoas"] == content.pronunciations["psoas"]  # speech.yml wins over cmudict
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


# --- the n-gram model ---------------------------------------------------------------

TOY = [
    "stop",
    "stop the routine",
    "stop the timer",
    "pause the timer",
    "pause",
    "pause please",
    "how long left",
    "how long is the hold",
    "make it longer",
    "make the hold longer",
]


def toy_sentences() -> List[List[str]]:
    return [s.split() for s in TOY]


def vocabulary(arpa: str) -> List[str]:
    """Every word a model can predict (its unigrams but <s>)."""
    words = [line.split("\t")[1] for line in sections(arpa)[1]]
    return [w for w in words if w != BOS]


def sections(arpa: str) -> Dict[int, List[str]]:
    found: Dict[int, List[str]] = {}
    current = None
    for line in arpa.splitlines():
        header = re.fullmatch(r"\\(\d)-grams:", line)
        if header:
            current = int(header.group(1))
            found[current] = []
        elif line == "\\end\\":
            current = None
        elif current is not None and line.strip():
            found[current].append(line)
    return found


HISTORIES: List[List[str]] = [
    [],
    [BOS],
    [BOS, "stop"],
    ["stop", "the"],
    [BOS, "how", "long"],
    ["make", "the", "hold"],
    ["the"],
    ["timer"],
    ["routine", "the"],  # a seen history word after an unseen pair
    ["nonsense", "words"],  # nothing known
    [BOS, "please"],
]


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("discount", [None, 0.3, 0.8])
def test_probabilities_sum_to_one_after_any_history(order: int, discount: float | None):
    arpa = arpa_language_model(toy_sentences(), order=order, discount=discount)
    words = vocabulary(arpa)
    assert EOS in words
    for history in HISTORIES:
        probabilities = arpa_probability(arpa, words, history)
        assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-4), history
        assert all(p > 0 for p in probabilities.values()), history


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_the_built_models_sum_to_one(built: Path, model: str):
    arpa = (built / f"{model}.lm").read_text(encoding="utf-8")
    words = vocabulary(arpa)
    for history in ([BOS], [BOS, "stop"], [BOS, "how", "long"], ["the", "psoas"], ["zzz"]):
        assert sum(arpa_probability(arpa, words, history).values()) == pytest.approx(1, abs=1e-3)


def seen_followers(arpa: str) -> Dict[tuple[str, ...], set[str]]:
    """Each history of the highest order's n-grams, with the words seen after it."""
    found: Dict[tuple[str, ...], set[str]] = {}
    top = sections(arpa)[max(sections(arpa))]
    for line in top:
        *history, word = line.split("\t")[1].split()
        found.setdefault(tuple(history), set()).add(word)
    return found


def test_seen_ngrams_beat_unseen_ones():
    # with a modest discount, after every history every word seen there is more
    # likely than any word never seen there
    arpa = arpa_language_model(toy_sentences(), discount=0.3)
    words = vocabulary(arpa)
    for history, seen in seen_followers(arpa).items():
        after = arpa_probability(arpa, words, history)
        unseen = [p for w, p in after.items() if w not in seen]
        assert min(after[w] for w in seen) > max(unseen), history


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_seen_ngrams_beat_unseen_ones_in_the_built_models(built: Path, model: str):
    arpa = (built / f"{model}.lm").read_text(encoding="utf-8")
    words = vocabulary(arpa)
    followers = seen_followers(arpa)
    # Ney's discount is near its cap with this little data, so a word seen once
    # after a history may lose to a frequent word backed off to; on average
    # seen words still win, by far
    for history in sorted(followers)[:: max(1, len(followers) // 60)]:
        seen = followers[history]
        after = arpa_probability(arpa, words, history)
        unseen = [p for w, p in after.items() if w not in seen]
        if unseen:
            mean_seen = sum(after[w] for w in seen) / len(seen)
            assert mean_seen > 5 * sum(unseen) / len(unseen), history
    start = arpa_probability(arpa, words, [BOS])
    assert start["stop"] > start["seconds" if model != BARGE_IN else "the"]


def test_absolute_discounting_by_hand():
    arpa = arpa_language_model([["a", "b"], ["a", "c"], ["a", "b"]], order=2, discount=0.5)
    after_a = arpa_probability(arpa, ["a", "b", "c", EOS], ["a"])
    # c(a b) = 2, c(a c) = 1, c(a) = 3: (2 - 0.5) / 3 and (1 - 0.5) / 3
    assert after_a["b"] == pytest.approx(1.5 / 3, abs=1e-5)
    assert after_a["c"] == pytest.approx(0.5 / 3, abs=1e-5)
    # the left-over mass (0.5 * 2 / 3) goes to the unseen words in proportion
    assert after_a["a"] + after_a[EOS] == pytest.approx(1 / 3, abs=1e-5)
    assert after_a["a"] / after_a[EOS] == pytest.approx(3 / 3, rel=1e-4)  # unigram counts 3, 3
    # unigrams are maximum likelihood: 9 tokens (3 a, 2 b, 1 c, 3 </s>)
    unigrams = arpa_probability(arpa, ["a", "b", "c", EOS], [])
    assert unigrams == pytest.approx({"a": 3 / 9, "b": 2 / 9, "c": 1 / 9, EOS: 3 / 9}, abs=1e-5)


def test_the_arpa_header_counts_match_the_sections():
    for order in (1, 2, 3):
        arpa = arpa_language_model(toy_sentences(), order=order)
        counts = {int(n): int(c) for n, c in re.findall(r"^ngram (\d)=(\d+)$", arpa, re.M)}
        found = sections(arpa)
        assert sorted(counts) == list(range(1, order + 1)) == sorted(found)
        for n, lines in found.items():
            assert counts[n] == len(lines)
            for line in lines:
                fields = line.split("\t")
                assert len(fields[1].split()) == n
                # a backoff weight only below the highest order
                assert len(fields) in ((2, 3) if n < order else (2,))
                assert float(fields[0]) <= 0
        assert arpa.startswith("\\data\\\n") and arpa.rstrip().endswith("\\end\\")


def test_the_arpa_text_follows_the_format_rules():
    arpa = arpa_language_model(toy_sentences())
    unigrams = {line.split("\t")[1]: line for line in sections(arpa)[1]}
    assert unigrams[BOS].startswith("-99")  # never predicted, only a history
    assert len(unigrams[BOS].split("\t")) == 3  # and it has a backoff weight
    bigrams = [line.split("\t")[1].split() for line in sections(arpa)[2]]
    assert not any(g[0] == EOS for g in bigrams)  # nothing follows the end
    assert not any(g[-1] == BOS for g in bigrams)  # nothing predicts the start


def test_no_sentences_no_model():
    with pytest.raises(SpeechModelError):
        arpa_language_model([])
    with pytest.raises(SpeechModelError):
        arpa_language_model([[], []])


# --- the real models ---------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The models built from the project's own data into a temporary folder."""
    out = tmp_path_factory.mktemp("speech") / "speech"
    build(out)
    return out


def dictionary_words(folder: Path) -> set[str]:
    words = set()
    for line in (folder / DICTIONARY).read_text(encoding="utf-8").splitlines():
        words.add(re.sub(r"\(\d+\)$", "", line.split()[0]))
    return words


def test_a_build_writes_every_file(built: Path):
    names = {p.name for p in built.iterdir()}
    assert names == {f"{m}.lm" for m in MODEL_NAMES} | {
        DICTIONARY,
        MANIFEST,
        f"{BARGE_IN}.sentences",
    }
    manifest = json.loads((built / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["fingerprint"] == input_fingerprint(DEFAULT_DATA_DIR)
    assert manifest["left_out"] == []
    assert manifest["vocabulary"] == len(dictionary_words(built))
    for model in MODEL_NAMES:
        assert manifest["models"][model]["sentences"] > 0
    assert not is_stale(built, DEFAULT_DATA_DIR)
    assert not built.with_name("speech.tmp").exists()


def test_pocketsphinx_loads_the_built_models(built: Path):
    from coach.speech.asr.service import PocketsphinxRecognizer

    recognizer = PocketsphinxRecognizer(built)
    recognizer.load()
    decoder = recognizer._decoder
    for model in MODEL_NAMES:
        decoder.activate_search(model)  # raises if a model did not load
    assert decoder.lookup_word("psoas")
    assert decoder.lookup_word("xarelto")  # pronounced by espeak-ng


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_every_word_of_a_model_has_a_pronunciation(built: Path, model: str):
    words = set(vocabulary((built / f"{model}.lm").read_text(encoding="utf-8"))) - {EOS}
    assert words
    missing = words - dictionary_words(built)
    assert not missing


def test_the_dictionary_is_in_pocketsphinx_format(built: Path, cmudict):
    phone_set = {p for variants in cmudict.values() for v in variants for p in v}
    for line in (built / DICTIONARY).read_text(encoding="utf-8").splitlines():
        word, *phones = line.split()
        assert re.fullmatch(r"[a-z']+(\(\d+\))?", word), line
        assert phones and set(phones) <= phone_set, line


def test_domain_words_are_in_the_vocabulary(built: Path):
    words = dictionary_words(built)
    questions = set(vocabulary((built / f"{QUESTIONS}.lm").read_text(encoding="utf-8")))
    domain = {"psoas", "iliopsoas", "flexor", "flexors", "massage", "stretch", "pelvis"}
    drugs_in_the_nlu_data = {"warfarin", "eliquis", "xarelto", "heparin", "thinners"}
    assert domain | drugs_in_the_nlu_data <= words & questions


def safety_drug_names() -> set[str]:
    """The plain drug names in the safety screen's blood thinner pattern."""
    safety = yaml.safe_load((content_dir() / "safety.yml").read_text(encoding="utf-8"))
    [category] = [c for c in safety["conditions"] if c["category"] == "blood_thinners"]
    names = set()
    for pattern in category["patterns"]:
        for group in re.findall(r"\(([^()]*)\)", pattern):
            names |= {w for w in group.split("|") if re.fullmatch(r"[a-z]+", w)}
    return names


def test_drug_names_are_read_from_the_safety_screen():
    assert {"warfarin", "xarelto", "plavix", "apixaban"} <= safety_drug_names()


def test_every_drug_the_safety_screen_knows_is_in_the_vocabulary(built: Path):
    drugs = safety_drug_names()
    missing = drugs - dictionary_words(built)
    assert not missing, sorted(missing)


def test_typed_only_spellings_and_digits_are_not_in_the_vocabulary(built: Path):
    words = dictionary_words(built)
    content = SpeechContent.load()
    typos = {k for k, v in content.corrections.items() if k != v}
    assert {"psaos", "psos", "strech", "massge", "secs"} <= typos
    assert not typos & words, sorted(typos & words)
    assert not any(re.search(r"\d", w) for w in words)
    for model in MODEL_NAMES:
        assert "psaos" not in vocabulary((built / f"{model}.lm").read_text(encoding="utf-8"))


def test_the_models_hold_what_they_should(built: Path):
    commands = set(vocabulary((built / f"{COMMANDS}.lm").read_text(encoding="utf-8")))
    questions = set(vocabulary((built / f"{QUESTIONS}.lm").read_text(encoding="utf-8")))
    barge_in = set(vocabulary((built / f"{BARGE_IN}.lm").read_text(encoding="utf-8")))
    assert barge_in < commands
    assert commands - questions <= {"ouch", "ow"}  # routine phrases of content/speech.yml
    assert {"next", "pause", "resume", "stop", "longer", "forty", "five", "seconds"} <= commands
    assert {"diaphragm", "xarelto", "vertebrae", "respiration"}.isdisjoint(commands)
    assert {"stop", "pause", "wait", "ouch"} <= barge_in
    # the other commands are its decoys (heard, never accepted: the test below)
    assert {"next", "resume", "longer"} <= barge_in
    assert {"psoas", "diaphragm", "xarelto", "massage"}.isdisjoint(barge_in)


def test_barge_in_sentences_are_stops_and_pauses_only(built: Path, normaliser: Normaliser):
    sentences = (built / f"{BARGE_IN}.sentences").read_text(encoding="utf-8").splitlines()
    assert {"stop", "pause", "stop the routine", "it hurts"} <= set(sentences)
    assert sentences == sorted(set(sentences)) and "" not in sentences
    question_words = {"what", "where", "why", "how", "when", "which", "who", "is", "does", "do"}
    for sentence in sentences:
        words = sentence.split()
        assert len(words) <= 4, sentence
        assert words[0] not in question_words, sentence
        assert "psoas" not in words and "next" not in words, sentence
        assert closed_form(words) == sentence  # stored without fillers
    # nothing that is asked as a question elsewhere in the data
    asked = {
        " ".join(normaliser.words(e.text))
        for e in read_examples(DEFAULT_DATA_DIR)
        if e.intent.startswith("ask_")
    }
    assert not asked & set(sentences)


# --- staleness ------------------------------------------------------------------------


@needs_espeak
def test_is_stale_follows_the_data(tmp_path: Path):
    data, out = tmp_path / "data", tmp_path / "speech"
    write_nlu(data, SMALL_DATA)
    assert is_stale(out, data)  # never built
    manifest = build(out, data)
    assert not is_stale(out, data)
    assert "warfarin" in manifest["pronounced_by_espeak"]  # type: ignore[operator]
    assert manifest["models"][QUESTIONS]["sentences"] >= 13  # type: ignore[index]

    # a changed example: stale, and a rebuild catches up
    write_nlu(data, {**SMALL_DATA, "routine_pause": ["pause", "wait", "hang on"]})
    assert is_stale(out, data)
    build(out, data)
    assert not is_stale(out, data)
    assert "hang on" in (out / f"{BARGE_IN}.sentences").read_text(encoding="utf-8").splitlines()

    # a new file in data/ counts, whatever it holds
    (data / "stories.yml").write_text('version: "3.1"\nstories: []\n', encoding="utf-8")
    assert is_stale(out, data)
    build(out, data)
    assert not is_stale(out, data)

    # a missing model or an unreadable manifest: stale
    (out / f"{COMMANDS}.lm").unlink()
    assert is_stale(out, data)
    build(out, data)
    (out / MANIFEST).write_text("{not json", encoding="utf-8")
    assert is_stale(out, data)


def test_the_fingerprint_covers_data_speech_content_and_the_builder(tmp_path: Path):
    data = tmp_path / "data"
    write_nlu(data, SMALL_DATA)
    speech_yml = tmp_path / "speech.yml"
    speech_yml.write_text("corrections: {}\n", encoding="utf-8")
    first = input_fingerprint(data, speech_yml)
    assert input_fingerprint(data, speech_yml) == first
    speech_yml.write_text("corrections: {psaos: psoas}\n", encoding="utf-8")
    second = input_fingerprint(data, speech_yml)
    assert second != first
    (data / "nlu.yml").write_text((data / "nlu.yml").read_text() + "\n", encoding="utf-8")
    assert input_fingerprint(data, speech_yml) != second


def test_no_examples_no_build(tmp_path: Path, cmudict):
    (tmp_path / "data").mkdir()
    with pytest.raises(SpeechModelError):
        build(tmp_path / "speech", tmp_path / "data", cmudict=cmudict)
    assert not (tmp_path / "speech").exists()


def test_a_failed_build_keeps_the_models_that_were_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cmudict
):
    data, out = tmp_path / "data", tmp_path / "speech"
    write_nlu(data, {"routine_stop": ["stop"], "routine_pause": ["pause"]})
    build(out, data, cmudict=cmudict)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(sentences, order=3, discount=None):
        raise SpeechModelError("no")

    monkeypatch.setattr(speech_model, "arpa_language_model", broken)
    write_nlu(data, {"routine_stop": ["stop it"], "routine_pause": ["pause"]})
    with pytest.raises(SpeechModelError):
        build(out, data, cmudict=cmudict)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@needs_espeak
def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    data, out = tmp_path / "data", tmp_path / "speech"
    write_nlu(data, SMALL_DATA)
    assert speech_model.main(["--out", str(out), "--data", str(data), "--if-stale"]) == 0
    assert "speech models built" in capsys.readouterr().out
    assert speech_model.main(["--out", str(out), "--data", str(data), "--if-stale"]) == 0
    assert "up to date" in capsys.readouterr().out


# regex stems in content/safety.yml ("puls\\w*", "tingl\\w*"): a word starting so
SAFETY_STEMS = {"puls", "throbb", "tingl", "agoni", "massag", "laparoscop", "osteopo"}
SAFETY_STEMS |= {"incontinen", "anticoagula", "pregnan", "falling"}


def safety_words() -> set[str]:
    """Every word of four letters or more that a safety pattern listens for."""
    data = yaml.safe_load((content_dir() / "safety.yml").read_text(encoding="utf-8"))
    words: set[str] = set()
    for group in ("red_flags", "conditions"):
        for category in data[group]:
            for pattern in category["patterns"]:
                plain = re.sub(r"\(\?!.*?\)|[?*+]", "", pattern.lower())
                plain = re.sub(r"\\[bwsSd]|\{\d+,\d+\}", " ", plain)
                words |= {w for w in re.findall(r"[a-z']{4,}", plain)}
    return words


def test_every_word_the_safety_screen_listens_for_can_be_heard(built: Path):
    """A red flag or condition said aloud must reach the safety screen: its
    words are in the question model (content/speech.yml adds phrases for them)."""
    heard = set(vocabulary((built / f"{QUESTIONS}.lm").read_text(encoding="utf-8")))
    missing = set()
    for word in safety_words():
        stem = next((s for s in SAFETY_STEMS if word.startswith(s)), None)
        if stem is not None:
            if not any(w.startswith(stem) for w in heard):
                missing.add(word)
        elif word not in heard and word.replace("'", "") not in heard:
            missing.add(word)
    assert not missing, sorted(missing)


def test_red_flags_are_heard_mid_stretch_too(built: Path):
    commands = set(vocabulary((built / f"{COMMANDS}.lm").read_text(encoding="utf-8")))
    assert {"numb", "tingling", "bladder", "fever", "fell", "hurts", "stabbing"} <= commands
