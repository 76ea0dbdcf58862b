"""Code-aware words, for both backends: identifiers (`sys.getsizeof`, `Python/ceval.c`,
`LOAD_FAST`, `_PyList_AppendTakeRef`) are indexed whole and by their parts.

A word (``WORD``: letters, digits and ``_``, joined by ``.`` or ``/``) is cut into *slots*:
its segments between ``.``, ``/`` and ``_``, one after the other, so a phrase of the parts
("load fast") lines up. The first slot also holds the whole word (leading and trailing
underscores dropped), and each slot holds the CamelCase parts of its segment, at the same
position: `_PyList_AppendTakeRef` is ``[[pylist_appendtakeref, pylist, py, list],
[appendtakeref, append, take, ref]]``; each part of a path is whole in the slot of its first
segment (`Python/ceval.c` is ``[[python/ceval.c, pythoncevalc, python], [ceval.c, cevalc,
ceval], [c]]``), and a whole with separators is there joined too. A plain word is one slot of
itself.

A query word is searched whole (index/whoosh/_analysis.py in query mode; `joined()` on
PostgreSQL, whose own parser keeps `sys.getsizeof` whole but splits `LOAD_FAST`), so the whole
identifier finds only pages that have it; one part finds every page with that part.
"""

from __future__ import annotations

import re

SEPARATORS = "./_"
_SEGMENT = re.compile(r"[^./_]+")
_SEPARATOR = re.compile(r"[./_]")
# CamelCase parts of an ASCII segment: "HTMLParser" -> HTML, Parser; "getSizeOf" -> get, Size,
# Of; digits stay with the letters before them ("utf8", "Py3").
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z0-9]+|[A-Z0-9]+")
_SEPARATOR_RUN = re.compile(r"[./_]+")

Unit = tuple[str, int, int]  # lowercase text, start, end (offsets in the word)


def is_plain(word: str) -> bool:
    """True for a word that is one slot of itself (the fast path of indexing)."""
    if "." in word or "/" in word or "_" in word:
        return False
    return word.islower() or word.isupper() or word[1:].islower() or not _camel(word)


def _camel(segment: str) -> bool:
    if not segment.isascii() or segment.islower() or segment.isupper():
        return False
    return len(_CAMEL.findall(segment)) > 1


def slots(word: str) -> list[list[Unit]]:
    """The slots of ``word`` (see the module docstring): units of one position each."""
    core = word.strip("_")
    if not core:
        return []
    lead = len(word) - len(word.lstrip("_"))
    result: list[list[Unit]] = []
    for seg in _SEGMENT.finditer(core):
        start = lead + seg.start()
        text = seg.group()
        slot: list[Unit] = [(text.lower(), start, start + len(text))]
        if _camel(text):
            for part in _CAMEL.finditer(text):
                unit = (part.group().lower(), start + part.start(), start + part.end())
                if unit[0] != slot[0][0]:
                    slot.append(unit)
        result.append(slot)
    if "/" in core:
        # Each part of a path is whole too (`ceval.c` of `Python/ceval.c`), in the slot of
        # its first segment.
        _add_path_parts(result, core, lead)
    whole = core.lower()
    if result and whole != result[0][0][0]:
        result[0].insert(0, (whole, lead, lead + len(core)))
        # Joined (`loadfast`): what the spaced form `load fast` looks for to rank the name
        # first (index/whoosh/_parse.py), and PostgreSQL's word for the whole.
        if (together := _SEPARATOR_RUN.sub("", whole)) != whole:
            result[0].insert(1, (together, lead, lead + len(core)))
    return result


def spaced_form(words: list[str]) -> str:
    """The joined form of plain words written apart ("load fast" -> "loadfast"), or "" when
    they are not 2 to 4 plain words."""
    if not 2 <= len(words) <= 4 or not all(is_plain(w) for w in words):
        return ""
    return "".join(words).lower()


def _add_path_parts(result: list[list[Unit]], core: str, lead: int) -> None:
    starts = {slot[0][1]: slot for slot in result}
    for part in re.finditer(r"[^/]+", core):
        text = part.group()
        slot = starts.get(lead + part.start())
        if slot is not None and text.lower() != slot[0][0] and part.group() != core:
            unit = (text.lower(), lead + part.start(), lead + part.end())
            slot[0:0] = [unit, (_SEPARATOR_RUN.sub("", unit[0]), unit[1], unit[2])]


def whole(word: str) -> str:
    """What a query word is searched as on Whoosh: the whole word, lower case."""
    return word.strip("_").lower() or word.lower()


def joined(word: str) -> str:
    """The whole word as one PostgreSQL word (its parser would cut `load_fast` in two):
    lower case, separators dropped. "" for a word that needs no joining."""
    if is_plain(word):
        return ""
    return _SEPARATOR_RUN.sub("", word.lower())


def phrase_text(text: str) -> str:
    """A phrase's text with separators as spaces (same length), so the phrase is made of the
    segments that the index put one after the other."""
    return _SEPARATOR.sub(" ", text)


def code_words(text: str, pattern: re.Pattern[str], min_chars: int) -> str:
    """The extra words PostgreSQL indexes for ``text``: each identifier's joined form and its
    parts, space-separated ("" when the text has no identifier)."""
    words: list[str] = []
    for match in pattern.finditer(text):
        word = match.group()
        if is_plain(word):
            continue
        # Units with separators (the whole, a path's parts) as PostgreSQL words: joined.
        found = [_SEPARATOR_RUN.sub("", unit[0]) for slot in slots(word) for unit in slot]
        words.extend(w for w in dict.fromkeys(found) if len(w) >= min_chars)
    return " ".join(words)
