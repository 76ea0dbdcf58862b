"""The relevance bench's corpus and probes (bench/relevance.py): seeded synthetic articles
(bench/_corpus.py), the real pages' texts of bench/extract_corpus/, and planted pages, each
probe naming the one page it should find first. Same seed, same corpus, same probes.

Planted on purpose, for the cases issue 14 saw on real pages:
* phrases mostly of stop words ("she said she did not") in one page, their words scattered
  (never adjacent) through a sixth of the others;
* a common word in one page's title against two rare words in another page's body
  (`modav speedmult player`): once when no page holds all three words (the any-word
  fallback ranks), once when both do;
* CPython identifiers (`Python/ceval.c`, `sys.getsizeof`, `LOAD_FAST`,
  `_PyList_AppendTakeRef`) in pages about the interpreter, beside pages naming their
  neighbours (`Python/compile.c`, `sys.getrefcount`, `LOAD_CONST`, `PyTuple_Pack`)."""

from __future__ import annotations

import dataclasses
import functools
import html
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench._corpus import STOP, SUFFIXES, Corpus, _words
from bench._pages import _WORDS as CPYTHON_WORDS
from index import IndexRecord

REAL_PAGES = Path(__file__).resolve().parent / "extract_corpus"

# (kind, what it tests), in the order the report prints them.
KINDS = {
    "rare": "2-3 words found together in one page only",
    "title": "the exact title of one page",
    "phrase": '"a phrase" from one page\'s text',
    "stopphrase": '"a phrase" mostly of stop words, its words common elsewhere',
    "title_vs_body": "two rare words in one body against a common word in another title",
    "ident_part": "part of an identifier (ceval, getsizeof, pylist, append take ref)",
    "ident_whole": "a whole identifier (Python/ceval.c, sys.getsizeof, ...)",
    "ident_spaced": "an identifier written as words (load fast)",
}

STOP_PHRASES = (
    "she said she did not",
    "They have all come out",
    "what he had been doing there",
    "I could not have done it",
    "there was no one there but her",
    "to be or not to be",
)

# (identifier, the pages' subject words, a neighbour named in another page, probes:
# (kind, query)...).
IDENTIFIERS = (
    (
        "Python/ceval.c",
        "evaluation loop",
        "Python/compile.c",
        (("ident_part", "ceval"), ("ident_whole", "Python/ceval.c")),
    ),
    (
        "sys.getsizeof",
        "object size",
        "sys.getrefcount",
        (("ident_part", "getsizeof"), ("ident_whole", "sys.getsizeof")),
    ),
    (
        "LOAD_FAST",
        "local variables",
        "LOAD_CONST",
        (("ident_whole", "LOAD_FAST"), ("ident_spaced", "load fast")),
    ),
    (
        "_PyList_AppendTakeRef",
        "list growth",
        "PyTuple_Pack",
        (
            ("ident_part", "pylist"),
            ("ident_part", "append take ref"),
            ("ident_whole", "_PyList_AppendTakeRef"),
        ),
    ),
)

# Invented words for the title-against-body pages: syllables the corpus never uses, so each
# word is in the one or two pages it is planted in.
RARE_SYLLABLES = ("vob", "drex", "yul", "quim", "snar", "klo", "fep", "zug", "wab", "tiv")

MIN_DOCS = 200  # the real and planted pages, and enough generated ones to draw probes from

# add(title, text[, domain]) -> the new page's id
AddPage = Callable[..., int]


@dataclass(frozen=True)
class Probe:
    kind: str
    query: str
    expected: int  # the id of the page that should come first


@dataclass
class Probed:
    records: list[IndexRecord]
    probes: list[Probe]


def build(docs: int, seed: int) -> Probed:
    """``docs`` pages (at least 200) and the probes that each expect one of them first."""
    if docs < MIN_DOCS:
        raise ValueError(f"the relevance corpus needs at least {MIN_DOCS} documents")
    rng = random.Random(seed * 7919 + 14)
    corpus = Corpus(seed)
    probes: list[Probe] = []
    records: list[IndexRecord] = []

    def add(title: str, text: str, domain: str = "planted.example") -> int:
        number = len(records) + 1
        records.append(page(number, title, text, domain))
        return number

    real = real_pages()
    for title, text in real:
        add(title, text, "real.example")
    cpython_pages(rng, add, probes)
    title_against_body(rng, corpus, add, probes)
    background_from = len(records) + 1
    stop_targets = len(STOP_PHRASES)
    for record in corpus.records(docs - len(records)):
        add(record.title, record.text, record.domain)
    background = records[background_from - 1 :]
    plant_stop_phrases(rng, corpus, records, background[:stop_targets], background, probes)

    pool = [records[r.id - 1] for r in background[stop_targets:]]  # as planted
    roots = root_frequencies(records)
    probes += rare_probes(rng, pool, roots, records, 30)
    probes += title_probes(rng, records, records[: len(real)], pool)
    probes += phrase_probes(rng, records, real_ids=range(1, len(real) + 1), pool=pool)
    return Probed(records, probes)


def title_probes(
    rng: random.Random,
    records: list[IndexRecord],
    real: list[IndexRecord],
    pool: list[IndexRecord],
) -> list[Probe]:
    """The exact titles of fifteen real pages and fifteen generated ones, where no other page
    has the same title."""
    titles = Counter(r.title.lower() for r in records)
    chosen = rng.sample(real, min(15, len(real))) + rng.sample(pool, 15)
    return [
        Probe("title", r.title, r.id)
        for r in chosen
        if titles[r.title.lower()] == 1 and r.title.strip()
    ]


def page(number: int, title: str, text: str, domain: str) -> IndexRecord:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return IndexRecord(
        id=number,
        url=f"https://{domain}/p/{number}",
        title=title,
        text=text,
        section=None,
        domain=domain,
        status="ok",
        archived_at=start + timedelta(minutes=number),
        published=None,
    )


# -- the real pages ---------------------------------------------------------------------------


def real_pages() -> list[tuple[str, str]]:
    """(title, text) of each page of bench/extract_corpus/: its h1 (else its <title> up to
    the site's name) and the text extraction should give."""
    pages = []
    for text_file in sorted(REAL_PAGES.glob("*.txt")):
        markup = text_file.with_suffix(".html").read_text(encoding="utf-8", errors="replace")
        found = re.search(r"<h1[^>]*>(.*?)</h1>", markup, re.S) or re.search(
            r"<title>(.*?)</title>", markup, re.S
        )
        title = html.unescape(re.sub(r"<[^>]+>", "", found.group(1))) if found else ""
        title = re.split(r" [|\-–—] ", title)[0].strip().rstrip("¶")
        pages.append((title, text_file.read_text(encoding="utf-8")))
    return pages


# -- planted pages -------------------------------------------------------------------------


def cpython_text(rng: random.Random, sentences: int, mentions: Iterable[str]) -> str:
    """A paragraph of interpreter words, ``mentions`` spread through it."""
    out = []
    for _ in range(sentences):
        words = [rng.choice(CPYTHON_WORDS) for _ in range(rng.randint(10, 18))]
        out.append(" ".join(words).capitalize() + ".")
    for mention in mentions:
        spot = rng.randrange(len(out))
        out[spot] = f"{out[spot][:-1]} in {mention}."
    return " ".join(out)


def cpython_pages(rng: random.Random, add: AddPage, probes: list[Probe]) -> None:
    """Each identifier's page (named three times), a page naming its neighbour, and twenty
    more pages about the interpreter."""
    for name, subject, neighbour, queries in IDENTIFIERS:
        target = add(f"Notes on {subject}", cpython_text(rng, 30, [name] * 3))
        add(f"More on {subject}", cpython_text(rng, 30, [neighbour] * 3))
        probes += [Probe(kind, query, target) for kind, query in queries]
    for i in range(20):
        add(f"Interpreter notes {i}", cpython_text(rng, 25, []))


def rare_word(rng: random.Random, used: set[str]) -> str:
    while True:
        word = "".join(rng.choice(RARE_SYLLABLES) for _ in range(2))
        if word not in used:
            used.add(word)
            return word


def title_against_body(
    rng: random.Random, corpus: Corpus, add: AddPage, probes: list[Probe]
) -> None:
    """`modav speedmult player`: the page with the two rare words in its body should come
    before a page with the common word in its title. Four pairs where the page with the rare
    words lacks the common word (no page has all three: the any-word fallback ranks), four
    where both pages hold all three: the page about the rare words names each three times,
    the other page names them once."""
    used: set[str] = set()
    common_words = [w for w in corpus.words[60:300] if w not in STOP]
    for i in range(8):
        first, second = rare_word(rng, used), rare_word(rng, used)
        common = rng.choice(common_words)
        both = i >= 4
        body = corpus.article(rng, 500).split(". ")
        for word in [first, second] * (3 if both else 1) + ([common] if both else []):
            spot = rng.randrange(len(body))
            body[spot] += f" {word}"
        expected = add(corpus_title(corpus, rng, avoid=common), ". ".join(body))
        other = corpus.article(rng, 500).split(". ")
        for word in (common, first, second) if both else (common,):
            spot = rng.randrange(len(other))
            other[spot] += f" {word}"
        title = f"{common.capitalize()} {corpus_title(corpus, rng, common).lower()}"
        add(title, ". ".join(other))
        probes.append(Probe("title_vs_body", f"{first} {second} {common}", expected))


def corpus_title(corpus: Corpus, rng: random.Random, avoid: str) -> str:
    words = [w for w in corpus.sample(rng, 10) if w not in STOP and w != avoid]
    return " ".join(words[:6]).capitalize()


def plant_stop_phrases(
    rng: random.Random,
    corpus: Corpus,
    records: list[IndexRecord],
    targets: list[IndexRecord],
    background: list[IndexRecord],
    probes: list[Probe],
) -> None:
    """Each phrase in one page; its words, each beside a word of the corpus (never two of
    them side by side), in a sixth of the other pages."""
    fillers = [w for w in corpus.words[100:5000] if w not in STOP]
    target_ids = {t.id for t in targets}
    for phrase, target in zip(STOP_PHRASES, targets, strict=True):
        sentences = target.text.split(". ")
        spot = rng.randrange(len(sentences))
        sentences.insert(spot, f"{phrase[0].upper()}{phrase[1:]} {rng.choice(fillers)}")
        records[target.id - 1] = dataclasses.replace(target, text=". ".join(sentences))
        probes.append(Probe("stopphrase", f'"{phrase}"', target.id))
        words = phrase.lower().split()
        for other in rng.sample(background, len(background) // 6):
            if other.id in target_ids:
                continue
            shuffled = rng.sample(words, len(words))
            scattered = " ".join(f"{w} {rng.choice(fillers)}" for w in shuffled)
            current = records[other.id - 1]
            text = f"{current.text} {scattered.capitalize()}."
            records[other.id - 1] = dataclasses.replace(current, text=text)


# -- probes on the corpus as it is ---------------------------------------------------------


WORD = re.compile(r"\w+")
# The corpus's stop words and the other short words either backend may drop (Whoosh's list,
# PostgreSQL's english list): a phrase probe needs words that are left after dropping them.
DROPPED = set(STOP) | set(
    _words(
        "i me my she her him its our your them what who whom these those am do does did doing "
        "had having been being out up down off over under again then once here there where why "
        "how any both each few most other some such nor only own same than too very just now "
        "may us yet tbd could"
    )
)


ENDINGS = sorted({s for s in SUFFIXES if s}, key=len, reverse=True)


@functools.cache
def root(word: str) -> str:
    """The generated word without its suffix: what stemming may fold together."""
    for suffix in ENDINGS:
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)]
    return word


def root_frequencies(records: list[IndexRecord]) -> Counter[str]:
    df: Counter[str] = Counter()
    for r in records:
        df.update({root(w) for w in WORD.findall(f"{r.title} {r.text}".lower())})
    return df


def rare_probes(
    rng: random.Random,
    pool: list[IndexRecord],
    df: Counter[str],
    records: list[IndexRecord],
    count: int,
) -> list[Probe]:
    """2-3 of a page's rarest words, which no other page holds all of (compared by root, so
    stemming cannot make a second page match)."""
    probes = []
    texts = {r.id: {root(w) for w in WORD.findall(f"{r.title} {r.text}".lower())} for r in records}
    for target in rng.sample(pool, count):
        words = sorted(set(WORD.findall(target.text.lower())) - set(STOP))
        words.sort(key=lambda w: (df[root(w)], w))
        chosen = words[: rng.choice((2, 3))]
        wanted = {root(w) for w in chosen}
        holders = [i for i, roots in texts.items() if wanted <= roots]
        if holders == [target.id]:
            probes.append(Probe("rare", " ".join(rng.sample(chosen, len(chosen))), target.id))
    return probes


def phrase_probes(
    rng: random.Random, records: list[IndexRecord], real_ids: range, pool: list[IndexRecord]
) -> list[Probe]:
    """Four to six words in a row from one page (inside a sentence, no punctuation between
    them), at least three of them and half not stop words, that no other page has in that
    order: fifteen real pages, fifteen generated. (Phrases mostly of stop words are the
    stopphrase probes, planted.)"""
    flat = {r.id: f" {' '.join(WORD.findall(r.text.lower()))} " for r in records}
    probes = []
    for target in rng.sample([records[i - 1] for i in real_ids], min(15, len(real_ids))) + (
        rng.sample(pool, 15)
    ):
        runs = [run.split() for run in re.split(r"[^\w ]+", target.text) if run.strip()]
        runs = [run for run in runs if len(run) >= 4]
        for _ in range(50):
            if not runs:
                break
            run = rng.choice(runs)
            length = min(len(run), rng.randint(4, 6))
            start = rng.randrange(len(run) - length + 1)
            words = run[start : start + length]
            kept = [w for w in words if w.lower() not in DROPPED]
            if len(kept) < 3 or 2 * len(kept) < len(words):
                continue
            spaced = f" {' '.join(words).lower()} "
            others = [i for i, text in flat.items() if spaced in text]
            if others == [target.id]:
                probes.append(Probe("phrase", f'"{" ".join(words)}"', target.id))
                break
    return probes
