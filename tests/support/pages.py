"""Small real documents for archiving tests: articles, charsets, a PDF, a gzip bomb."""

from __future__ import annotations

import zlib
from collections.abc import Iterator


def article(title: str, *paragraphs: str, charset: str | None = "utf-8") -> str:
    """An article page with navigation and footer around the text that matters."""
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head>{meta}<title>{title}</title></head><body>"
        '<nav><a href="/">Home</a> <a href="/about">About</a></nav>'
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer>Copyright 2024 Example Blog</footer></body></html>"
    )


def filler(topic: str, sentences: int = 6) -> str:
    """Enough prose about a topic for an extractor to treat it as the main text."""
    line = (
        f"This paragraph explains {topic} in some detail, with enough words that the "
        f"extractor sees real prose about {topic} rather than boilerplate."
    )
    return " ".join([line] * sentences)


def pdf(text: str) -> bytes:
    """A minimal valid one-page PDF showing `text` (ASCII) in Helvetica."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def gzip_bomb_chunks(expanded: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    """A gzip stream of `expanded` zero bytes, produced piece by piece so nobody holds it."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(chunk)
    for _ in range(expanded // chunk):
        data = compressor.compress(zeros)
        if data:
            yield data
    yield compressor.flush()
