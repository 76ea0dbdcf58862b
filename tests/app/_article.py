"""A structured copy written for the tests (every block and inline kind, hostile strings as
text), and an archive whose topic0 snapshot carries it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update

from app.services import Vault
from archiver.document import Document
from archiver.models import Link, Snapshot
from tests.app._archive import Archive, build_archive

SHA = "0123456789abcdef" * 4
HOSTILE = (
    '<script>alert(1)</script> "onload=alert(2) javascript:alert(3) <img src=x onerror=alert(4)>'
)
CODE = (
    "import dis\n\n\ndef add(a, b):\n    return a + b\t# tab kept\n\n"
    "dis.dis(add)  # " + "a_very_long_line_that_must_scroll_" * 6 + "\n"
    "  2           0 LOAD_FAST                0 (a)\n"
    "              2 LOAD_FAST                1 (b)\n"
    "```not a fence\n"
)

BLOCKS: list[dict[str, object]] = [
    {"t": "h", "level": 1, "c": ["How ", {"t": "code", "text": "dis"}, " works ", HOSTILE]},
    {"t": "p", "c": [
        "Plain, ", {"t": "em", "c": ["emphasis"]}, ", ", {"t": "strong", "c": ["strong"]}, ", ",
        {"t": "del", "c": ["gone"]}, ", H", {"t": "sub", "c": ["2"]}, "O, x",
        {"t": "sup", "c": ["2"]},
        ", ", {"t": "a", "href": "https://docs.python.org/3/library/dis.html?a=1&b=2",
               "c": ["the dis docs"]},
        {"t": "br"}, "# not a heading * not a list _ not emphasis [not](a link) | pipe",
    ]},
    {"t": "h", "level": 2, "c": ["The listing"]},
    {"t": "pre", "text": CODE, "lang": "python"},
    {"t": "pre", "text": "no language <b>bold?</b>", "lang": None},
    {"t": "ul", "items": [
        [{"t": "p", "c": ["first"]},
         {"t": "ol", "start": 3,
          "items": [[{"t": "p", "c": ["three"]}], [{"t": "p", "c": ["four"]}]]}],
        [{"t": "p", "c": ["second"]}],
    ]},
    {"t": "dl", "items": [{"term": ["opcode"], "defs": [[{"t": "p", "c": ["one instruction"]}]]}]},
    {"t": "quote", "c": [{"t": "p", "c": ["Readability counts."]}]},
    {"t": "table",
     "head": [[["offset"], ["opname"], ["a|b"]]],
     "body": [[["0"], [{"t": "code", "text": "LOAD_FAST"}], ["x"]],
              [["2"], ["BINARY_OP " + "wide_cell_" * 12], [HOSTILE]]]},
    {"t": "figure", "src": "https://example.org/stack.png", "alt": "The value stack",
     "caption": ["The stack, ", {"t": "em", "c": ["drawn"]}], "image": SHA},
    {"t": "figure", "src": "https://example.org/lost.png", "alt": "A lost diagram " + HOSTILE,
     "caption": [], "image": None},
    {"t": "h", "level": 3, "c": ["The end"]},
    {"t": "hr"},
    {"t": "p", "c": [HOSTILE]},
]  # fmt: skip

DOCUMENT = Document.from_data({"v": 1, "blocks": BLOCKS})


def store_document(archive: Archive, link_id: int, document: Document | str | None) -> int:
    """Puts ``document`` on the link's current snapshot; returns that snapshot's id."""
    vault = Vault(archive.settings())
    try:
        with vault.store.session() as session:
            link = session.get(Link, link_id)
            assert link is not None and link.snapshot_id is not None
            value = document.to_json() if isinstance(document, Document) else document
            session.execute(
                update(Snapshot).where(Snapshot.id == link.snapshot_id).values(document=value)
            )
            return link.snapshot_id
    finally:
        vault.close()


def article_archive(folder: Path) -> Archive:
    archive = build_archive(folder)
    store_document(archive, archive.ids["topic0"], DOCUMENT)
    return archive
