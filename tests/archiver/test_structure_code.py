"""Code blocks from highlighter markup the page corpus does not cover, read byte-exact."""

from __future__ import annotations

import lxml.html
import pytest

from archiver._code import code_block


def read(html: str) -> tuple[str, str | None]:
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    block = code_block(root.find(".//pre"))
    return block["text"], block["lang"]


@pytest.mark.parametrize(
    ("html", "text", "lang"),
    [
        # The newline right after <pre> is the parser's, not the code's.
        ("<pre>\nx = 1\n\n\ny = 2\n</pre>", "x = 1\n\n\ny = 2\n", None),
        ("<pre><code>\nx = 1</code></pre>", "\nx = 1", None),
        # Pandoc: a span per line, an empty anchor in each, "sourceCode python".
        (
            '<pre class="sourceCode python"><code class="sourceCode python">'
            '<span id="cb1-1"><a href="#cb1-1" aria-hidden="true"></a>import os</span>\n'
            '<span id="cb1-2"><a href="#cb1-2" aria-hidden="true"></a>os.getcwd()</span>'
            "</code></pre>",
            "import os\nos.getcwd()",
            "python",
        ),
        # Shiki: a span per line, newlines between them.
        (
            '<pre class="shiki"><code><span class="line"><span style="color:#F97583">let</span>'
            '<span> a </span></span>\n<span class="line"></span>\n<span class="line">'
            "<span>a++</span></span></code></pre>",
            "let a \n\na++",
            None,
        ),
        # Prism's line-numbers plugin: an empty gutter span after the code.
        (
            '<pre class="line-numbers language-rust"><code class="language-rust">fn main() {}\n'
            '<span aria-hidden="true" class="line-numbers-rows"><span></span></span></code></pre>',
            "fn main() {}\n",
            "rust",
        ),
        # Pygments' inline line numbers, and highlight.js' spans.
        (
            '<div class="highlight-c"><pre><span class="linenos">1</span>'
            '<span class="kt">int</span> x;\n<span class="linenos">2</span>x++;\n</pre></div>',
            "int x;\nx++;\n",
            "c",
        ),
        # A div per line (CodeMirror-like): newlines between lines, none added at the end.
        (
            '<pre><div class="cm-line">a = 1</div><div class="cm-line">b = 2</div></pre>',
            "a = 1\nb = 2",
            None,
        ),
        # Tabs, trailing spaces and CR-free text survive as written; <br> is a line break.
        ("<pre>\tif x:  <br>\t\treturn</pre>", "\tif x:  \n\t\treturn", None),
        # Generic names are no language; copy buttons are no code.
        (
            '<pre class="language-text"><code>plain</code><button>Copy</button></pre>',
            "plain",
            None,
        ),
    ],
)
def test_code_text_and_language(html: str, text: str, lang: str | None) -> None:
    assert read(html) == (text, lang)
