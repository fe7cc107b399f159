"""All-capitals names in mixed case: "BEST WESTERN JARDIN DE CLUNY" → "Best Western Jardin de
Cluny". Amadeus sends carriers, aircraft and many hotels in capitals, the other providers in
mixed case; the gateway shows one style (see `gateway.search.naming`)."""

from __future__ import annotations

_LOWER_WORDS = frozenset({"de", "del", "la", "le", "les", "du", "des", "of", "and", "am", "an"})
"""Particles written in lower case inside a name ("Jardin de Cluny")."""
_KEPT_WORDS = {"ibis": "ibis", "jw": "JW", "nh": "NH", "ac": "AC", "klm": "KLM", "sas": "SAS"}
"""Words with a spelling of their own, whatever the case they came in."""


def display_case(name: str) -> str:
    """An all-capitals name ("BEST WESTERN JARDIN DE CLUNY") in mixed case ("Best Western Jardin
    de Cluny"); a name already in mixed case unchanged. Words with digits keep their letters
    ("A350-900"). A heuristic: acronyms it does not know come out capitalised ("Tap")."""
    if not name.isupper():
        return name
    words = name.split(" ")
    return " ".join(_word(word, first=index == 0) for index, word in enumerate(words))


def _word(word: str, *, first: bool) -> str:
    folded = word.casefold()
    if folded in _KEPT_WORDS:
        return _KEPT_WORDS[folded]
    if not first and folded in _LOWER_WORDS:
        return folded
    if any(ch.isdigit() for ch in word):
        return word
    if len(folded) > 2 and folded[1] == "'" and folded[0] in "ldn":
        # French and Catalan elision: L'EIXAMPLE → l'Eixample (L'Eixample first).
        head = word[0] if first else folded[0]
        return head + "'" + _capitalised(word[2:])
    return _capitalised(word)


def _capitalised(word: str) -> str:
    """Each part after a hyphen or apostrophe capitalised: SAINT-GERMAIN → Saint-Germain."""
    parts = word.split("-")
    return "-".join(part[:1].upper() + part[1:].lower() for part in parts)
