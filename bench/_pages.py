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


def article_html(number: int, paragraphs: int = 12, seed: int = 0) -> bytes:
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
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Bench Blog</title>
<meta name="author" content="Author {number % 17}">
<meta property="og:title" content="{title}">
<meta name="description" content="Notes on {rng.choice(_WORDS)} and {rng.choice(_WORDS)}.">
<style>body{{font-family:sans-serif}}</style><script>var analytics = {number};</script>
</head><body>
<header><a href="/">Bench Blog</a><nav><ul>{nav}</ul></nav></header>
<main><article><h1>{title}</h1>
<p class="byline">By Author {number % 17} on <time datetime="2024-03-{1 + number % 28:02d}">
March {1 + number % 28}, 2024</time></p>
{"".join(body)}
</article>
<aside><h2>Related posts</h2><ul>{related}</ul></aside></main>
<footer><p>Copyright 2024 Bench Blog. All rights reserved.</p>
<p><a href="/privacy">Privacy</a> <a href="/terms">Terms</a></p></footer>
</body></html>"""
    return page.encode()
