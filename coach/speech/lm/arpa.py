"""Backoff n-gram language models in ARPA format (what pocketsphinx reads), and
reading their probabilities back."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from typing import Dict, Iterable, List, Mapping, Sequence, Tuple

from coach.speech.lm.errors import SpeechModelError

BOS, EOS = "<s>", "</s>"


def arpa_language_model(
    sentences: Iterable[Sequence[str]], order: int = 3, discount: float | None = None
) -> str:
    """A backoff n-gram model in ARPA format, with absolute discounting.

    For each history h of a seen n-gram: P(w|h) = (c(h,w) - D) / c(h) for seen
    words, and the mass left over, D * (distinct words after h) / c(h), goes to
    the lower order through the backoff weight of h. D is Ney's estimate
    n1 / (n1 + 2 n2) per order unless ``discount`` is given. Unigrams are
    maximum likelihood: every word of the vocabulary was seen.
    """
    counts: List[Counter[Tuple[str, ...]]] = [Counter() for _ in range(order + 1)]
    for words in sentences:
        if not words:
            continue
        padded = [BOS, *words, EOS]
        for n in range(1, order + 1):
            for i in range(len(padded) - n + 1):
                gram = tuple(padded[i : i + n])
                if n == 1 and gram == (BOS,):
                    continue
                if n > 1 and EOS in gram[:-1]:
                    continue
                counts[n][gram] += 1
    if not counts[1]:
        raise SpeechModelError("no sentences to build a language model from")

    total = sum(counts[1].values())
    prob: Dict[Tuple[str, ...], float] = {g: c / total for g, c in counts[1].items()}
    prob[(BOS,)] = 0.0  # never predicted; present as a history
    backoff: Dict[Tuple[str, ...], float] = {}

    for n in range(2, order + 1):
        n1 = sum(1 for c in counts[n].values() if c == 1)
        n2 = sum(1 for c in counts[n].values() if c == 2)
        d = min(0.9, max(0.1, n1 / (n1 + 2 * n2))) if n1 + n2 else 0.5
        d = discount if discount is not None else d
        by_history: Dict[Tuple[str, ...], List[Tuple[str, int]]] = defaultdict(list)
        for gram, count in counts[n].items():
            by_history[gram[:-1]].append((gram[-1], count))
        for history, followers in by_history.items():
            history_total = sum(c for _, c in followers)
            for word, count in followers:
                gram = (*history, word)
                prob[gram] = (count - d) / history_total
            left = d * len(followers) / history_total
            lower_seen = sum(_backed_off(prob, backoff, (*history[1:], w)) for w, _ in followers)
            denominator = max(1e-9, 1.0 - lower_seen)
            backoff[history] = max(1e-9, left / denominator)

    lines = ["\\data\\"]
    by_order: List[List[Tuple[str, ...]]] = [[] for _ in range(order + 1)]
    for gram in prob:
        by_order[len(gram)].append(gram)
    for n in range(1, order + 1):
        lines.append(f"ngram {n}={len(by_order[n])}")
    for n in range(1, order + 1):
        lines.append("")
        lines.append(f"\\{n}-grams:")
        for gram in sorted(by_order[n]):
            p = prob[gram]
            logp = -99.0 if p <= 0 else math.log10(p)
            line = f"{logp:.6f}\t{' '.join(gram)}"
            if n < order and gram in backoff:
                line += f"\t{math.log10(backoff[gram]):.6f}"
            lines.append(line)
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)


def _backed_off(
    prob: Mapping[Tuple[str, ...], float],
    backoff: Mapping[Tuple[str, ...], float],
    gram: Tuple[str, ...],
) -> float:
    """P(gram[-1] | gram[:-1]) as the model will compute it."""
    if gram in prob:
        return prob[gram]
    if len(gram) == 1:
        return 0.0
    return backoff.get(gram[:-1], 1.0) * _backed_off(prob, backoff, gram[1:])


def arpa_probability(arpa: str, words: Sequence[str], history: Sequence[str]) -> Dict[str, float]:
    """P(w | history) for each word (reads the ARPA text back; for tests)."""
    prob: Dict[Tuple[str, ...], float] = {}
    backoff: Dict[Tuple[str, ...], float] = {}
    for line in arpa.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and re.match(r"^-?\d", parts[0]):
            gram = tuple(parts[1].split())
            prob[gram] = 0.0 if float(parts[0]) <= -99 else 10 ** float(parts[0])
            if len(parts) == 3:
                backoff[gram] = 10 ** float(parts[2])
    order = max(len(g) for g in prob)
    context = tuple(history)[-(order - 1) :] if order > 1 else ()
    out = {}
    for word in words:
        ctx = context
        while ctx and (*ctx, word) not in prob and ctx not in backoff:
            ctx = ctx[1:]
        out[word] = _backed_off(prob, backoff, (*ctx, word))
    return out
