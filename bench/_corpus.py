"""Seeded synthetic articles for the search benches (search_index, search, soak): the same
seed gives the same documents and the same queries everywhere."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from index import IndexRecord


def _words(text: str) -> list[str]:
    return text.split()


STOP = _words(
    "the of and to a in is that for it as was with be by on not he this are or his from at "
    "which but have an they you were their one all we can her has there been if more when "
    "will would who so no"
)
SYLLABLES = _words(
    "ka lo mi ren dor sa tu vex pli gra nor qui zen bar fel mon ster tri pha cul den sio mar "
    "lek pro cor ven tal gis rho"
)
SUFFIXES = ["", "", "", "s", "ing", "ed", "ation", "ly", "er", "ness"]


class Corpus:
    """Seeded synthetic articles: Zipf word frequencies, English-like stop words on top."""

    def __init__(self, seed: int, vocabulary: int = 50_000, exponent: float = 1.07) -> None:
        rng = random.Random(seed)
        words = list(STOP)
        seen = set(words)
        while len(words) < vocabulary:
            word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((1, 2, 2, 3, 3, 4))))
            word += rng.choice(SUFFIXES)
            if len(word) > 2 and word not in seen:
                seen.add(word)
                words.append(word)
        self.words = words
        self.cum = list(itertools.accumulate(1.0 / r**exponent for r in range(1, vocabulary + 1)))
        self.seed = seed
        self.sections = [f"Section {i}" for i in range(25)]
        self.domains = [f"site{i}.example" for i in range(300)]

    def sample(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum, k=k)

    def article(self, rng: random.Random, words: int) -> str:
        body = self.sample(rng, words)
        sentences = []
        for i in range(0, len(body), 12):
            part = body[i : i + 12]
            sentences.append(" ".join(part).capitalize() + ".")
        return " ".join(sentences)

    def records(self, n: int) -> Iterator[IndexRecord]:
        rng = random.Random(self.seed + 1)
        start = datetime(2020, 1, 1, tzinfo=UTC)
        stop = set(STOP)
        for i in range(1, n + 1):
            length = max(50, int(rng.lognormvariate(6.3, 0.6)))  # ~650 words, ~5 KB
            title = " ".join(w for w in self.sample(rng, 14) if w not in stop)[:80]
            yield IndexRecord(
                id=i,
                url=f"https://{rng.choice(self.domains)}/a/{i}",
                title=title.capitalize(),
                text=self.article(rng, length),
                section=rng.choices(self.sections, weights=range(25, 0, -1))[0],
                domain=self.domains[min(int(rng.paretovariate(1.2)) - 1, 299)],
                status="ok",
                archived_at=start + timedelta(minutes=i),
                published=None,
            )

    def queries(self, words: int, count: int) -> list[str]:
        # Mid-frequency words (ranks 60..3000): what people type, neither "the" nor hapaxes.
        rng = random.Random(self.seed + 2 + words)
        pool = self.words[60:3000]
        return [" ".join(rng.sample(pool, words)) for _ in range(count)]
