"""The fused indexing path must produce exactly what Whoosh's analyzer chain produces."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import formats

from index.whoosh._analysis import FastCharacters, index_terms, text_analyzer

EXAMPLES = [
    "",
    "The quick brown foxes were JUMPING over the lazy dogs.",
    "e.g. os.path.join and sys.modules; 3.14159 and v1.2.3",
    "**bold** _under_score_ a b c x y z I",
    "Straße İstanbul naïve café 日本語のテキスト עברית",
    "the of and to a in is that for it as was with",
    "state-of-the-art x-ray co-operation",
    "word\x00word\ttab\nnewline\u200bzero-width",
]


def via_analyzer(text: str) -> list[tuple[str, int, float, bytes]]:
    return sorted(formats.Characters().word_values(text, text_analyzer(), mode="index"))


def via_fast_path(text: str) -> list[tuple[str, int, float, bytes]]:
    return sorted(FastCharacters().word_values(text, text_analyzer(), mode="index"))


def test_examples_match() -> None:
    for text in EXAMPLES:
        assert via_fast_path(text) == via_analyzer(text), text


def test_positions_skip_stop_words_like_whoosh() -> None:
    terms = index_terms("the cat and the hat")
    assert terms == {"cat": [(1, 4, 7)], "hat": [(2, 16, 19)]}


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=300),
        st.lists(
            st.sampled_from(
                [
                    "the",
                    "Running",
                    "runs",
                    "a",
                    "os.path",
                    "x.",
                    ".y",
                    "İ",
                    "ß",
                    "日本",
                    " ",
                    "\n",
                    "-",
                    "*",
                    "__init__",
                    "3.14",
                    "É",
                    "\u0301",
                    "ﬁ",
                ]
            ),
            max_size=60,
        ).map(" ".join),
    )
)
def test_fuzzed_text_matches(text: str) -> None:
    assert via_fast_path(text) == via_analyzer(text)
