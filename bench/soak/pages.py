"""The soak's pages: Corpus articles as HTML with a marker word, served with ETags (304 on a
match), whose text can be changed while the server runs."""

from __future__ import annotations

import html
import random

from bench._corpus import Corpus
from bench._pages import ConditionalPageServer, etag


def page_html(title: str, text: str, marker: str) -> bytes:
    """An article page: the marker sentence first (extraction keeps it), then paragraphs of
    about six sentences."""
    sentences = [s.strip() for s in text.split(". ") if s.strip()]
    paragraphs = [". ".join(sentences[i : i + 6]) for i in range(0, len(sentences), 6)]
    body = "".join(f"<p>{html.escape(p.rstrip('.'))}.</p>\n" for p in paragraphs)
    title = html.escape(title)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title} | Soak Blog</title></head><body>\n"
        f'<header><a href="/">Soak Blog</a></header>\n<main><article><h1>{title}</h1>\n'
        f"<p>This article is filed under the reference {marker} for the soak benchmark.</p>\n"
        f"{body}</article></main>\n<footer><p>Copyright Soak Blog.</p></footer></body></html>"
    ).encode()


class SoakPages(ConditionalPageServer):
    """bench/_pages.py's ETag/304 server over Corpus articles, whose content can change."""

    def __init__(self, docs: int, seed: int, latency: float) -> None:
        super().__init__(0, latency)
        self.corpus = Corpus(seed)
        self.titles: list[str] = []
        self.lengths: list[int] = []
        for number, record in enumerate(self.corpus.records(docs)):
            self.titles.append(record.title)
            self.lengths.append(len(record.text.split()))
            self.bodies.append(page_html(record.title, record.text, f"origmark{number}"))
        self.etags = [etag(body) for body in self.bodies]
        self.changed = [n for n in range(docs) if n % 3 == 0]
        self.version = 0

    def change(self, version: int) -> None:
        """Every third page gets new text; the handler reads bodies and ETags per request."""
        for n in self.changed:
            rng = random.Random(f"{self.corpus.seed}/{version}/{n}")
            text = f"Revised{version} edition. " + self.corpus.article(rng, self.lengths[n])
            body = page_html(self.titles[n], text, f"revmark{version}n{n}")
            self.bodies[n], self.etags[n] = body, etag(body)
        self.version = version

    def url(self, number: int) -> str:
        return f"http://127.0.0.1:{self.port}/post/{number}"
