"""Generated article pages for benchmarks: realistic shape, deterministic content."""

from __future__ import annotations

import random

_WORDS = [
    "interpreter",
    "bytecode",
    "frame",
    "object",
    "reference",
    "count",
    "garbage",
    "collector",
    "dictionary",
    "hash",
    "table",
    "string",
    "interning",
    "attribute",
    "lookup",
    "descriptor",
    "method",
    "resolution",
    "order",
    "metaclass",
    "type",
    "slot",
    "function",
    "closure",
    "cell",
    "generator",
    "coroutine",
    "event",
    "loop",
    "thread",
    "lock",
    "global",
    "interpreter",
    "memory",
    "allocator",
    "arena",
    "pool",
    "block",
    "integer",
    "float",
    "tuple",
    "list",
    "set",
    "module",
    "import",
    "finder",
    "loader",
    "cache",
    "compile",
    "parser",
    "tokenizer",
    "grammar",
    "syntax",
    "tree",
    "optimizer",
    "peephole",
    "constant",
    "folding",
    "evaluation",
    "stack",
    "opcode",
    "instruction",
    "pointer",
    "exception",
    "traceback",
    "context",
    "manager",
    "iterator",
    "protocol",
    "buffer",
    "array",
    "extension",
    "api",
]


def _dead_weight(rng: random.Random) -> tuple[str, str, str]:
    """What real news and blog pages carry around the article: inline state JSON and CSS in
    the head, a mega-menu, a long footer. Real pages weigh 50-150 KB of HTML for 5-10 KB of
    text, and extraction time follows the markup, not the text."""
    state = ",".join(
        f'{{"id":{i},"slug":"story-{i}","headline":"{rng.choice(_WORDS)} story {i}"}}'
        for i in range(400)
    )
    css = "".join(f".c{i}{{margin:{i % 9}px;color:#{i:06x}}}" for i in range(900))
    head = f"<style>{css}</style><script>window.__STATE__={{items:[{state}]}};</script>"
    menu = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(120))
    footer = "".join(f'<li><a href="/info/{i}">Information page {i}</a></li>' for i in range(60))
    return head, f'<div class="mega-menu"><ul>{menu}</ul></div>', f"<ul>{footer}</ul>"


def article_html(number: int, paragraphs: int = 12, seed: int = 0, heavy: bool = True) -> bytes:
    """A blog-style page: navigation, a long article, a sidebar, comments and a footer."""
    rng = random.Random(seed * 1_000_003 + number)
    title = " ".join(rng.choice(_WORDS) for _ in range(6)).capitalize()
    body = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(rng.randint(3, 6)):
            words = [rng.choice(_WORDS) for _ in range(rng.randint(10, 22))]
            sentences.append(" ".join(words).capitalize() + ".")
        body.append(f"<p>{' '.join(sentences)}</p>")
    nav = "".join(f'<li><a href="/tag/{w}">{w}</a></li>' for w in rng.sample(_WORDS, 12))
    related = "".join(
        f'<li><a href="/post/{rng.randint(0, 10_000)}">{rng.choice(_WORDS)} notes</a></li>'
        for _ in range(8)
    )
    head, menu, footer = _dead_weight(rng) if heavy else ("", "", "")
    comments = "".join(
        f'<div class="comment"><b>reader{i}</b><p>Great post about {rng.choice(_WORDS)}!</p></div>'
        for i in range(rng.randint(0, 8))
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Bench Blog</title>
<meta name="author" content="Author {number % 17}">
<meta property="og:title" content="{title}">
<meta name="description" content="Notes on {rng.choice(_WORDS)} and {rng.choice(_WORDS)}.">
<style>body{{font-family:sans-serif}}</style><script>var analytics = {number};</script>
{head}</head><body>
<header><a href="/">Bench Blog</a><nav><ul>{nav}</ul></nav>{menu}</header>
<main><article><h1>{title}</h1>
<p class="byline">By Author {number % 17} on <time datetime="2024-03-{1 + number % 28:02d}">
March {1 + number % 28}, 2024</time></p>
{"".join(body)}
</article>
<section class="comments"><h2>Comments</h2>{comments}</section>
<aside><h2>Related posts</h2><ul>{related}</ul></aside></main>
<footer><p>Copyright 2024 Bench Blog. All rights reserved.</p>
<p><a href="/privacy">Privacy</a> <a href="/terms">Terms</a></p>{footer}</footer>
</body></html>"""
    return page.encode()
