"""A snapshot's structured copy (`archiver.document.Document`) as HTML and as Markdown.

Both are built from the tree, never from markup that came with the page: every string is
escaped, links are http(s) only, images point at linkvault's own `/images/<sha256>`. The
HTML then goes through `nh3` with the same allowlist, a second wall should this renderer
ever have a bug; on our own output it changes nothing (the tests hold it to that), which is
why the escaping below writes exactly what the sanitizer's serializer writes.

One module for both renderings, on purpose: they walk the same vocabulary side by side and
share the heading shift, so a new kind of block is added to both in one place (about 420
lines).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import nh3

from archiver.document import Block, Document, DocumentError, Inline, is_web_url

__all__ = [
    "ALLOWED",
    "document_of",
    "markdown_file",
    "render_html",
    "sanitize",
    "text_document",
    "to_html",
    "to_markdown",
]

# The only elements and attributes the reader's article may hold (nh3's allowlist too).
ALLOWED: dict[str, set[str]] = {
    **{f"h{level}": set() for level in range(1, 7)},
    **{tag: set() for tag in ("p", "ul", "li", "dl", "dt", "dd", "blockquote", "hr", "br")},
    **{tag: set() for tag in ("table", "thead", "tbody", "tr", "th", "td", "pre")},
    **{tag: set() for tag in ("em", "strong", "del", "sub", "sup", "figure", "figcaption")},
    "ol": {"start"},
    "div": {"class"},
    "code": {"class"},
    "a": {"href", "class"},
    "img": {"src", "alt"},
}
LINK_REL = "noopener noreferrer nofollow"
_CLASSES = {"div": re.compile(r"table-scroll"), "a": re.compile(r"external")}
_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")
_IMAGE_SRC = re.compile(r"/images/[0-9a-f]{64}")
_STYLE_TAGS = ("em", "strong", "del", "sub", "sup")


def document_of(stored: str | None) -> Document | None:
    """The structured copy kept in ``snapshots.document``; None when there is none (or it no
    longer checks out: the reader then falls back to the text)."""
    if not stored:
        return None
    try:
        document = Document.from_json(stored)
    except DocumentError:
        return None
    return document or None


def without_title(document: Document, title: str | None) -> Document:
    """The article without its first block when that is a heading saying the page's title
    again (most articles start so): the reader and the Markdown file put the title on top
    already."""
    blocks = document.blocks
    if not (title and blocks and blocks[0]["t"] == "h"):
        return document
    if _words(_inline_text(blocks[0]["c"])) != _words(title):
        return document
    return Document(blocks[1:])


def _inline_text(nodes: list[Inline]) -> str:
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            parts.append(node)
        elif node["t"] == "code":
            parts.append(node["text"])
        elif "c" in node:
            parts.append(_inline_text(node["c"]))
    return "".join(parts)


def _words(text: str) -> str:
    return " ".join(text.casefold().split())


# --- HTML ---------------------------------------------------------------------------------

_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\xa0": "&nbsp;"})
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", '"': "&quot;", "<": "&lt;", ">": "&gt;", "\xa0": "&nbsp;"}
)


def _plain(text: str) -> str:
    # What an HTML parser does to the input anyway (CR LF and CR become LF, NUL is dropped),
    # done here so that the sanitizer's re-serialisation is byte-identical to ours.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _text(text: str) -> str:
    return _plain(text).translate(_TEXT_ESCAPES)


def _attr(text: str) -> str:
    return _plain(text).translate(_ATTR_ESCAPES)


def _external(href: str, content: str) -> str:
    return f'<a href="{_attr(href)}" class="external" rel="{LINK_REL}">{content}</a>'


def _heading_shift(blocks: list[Block], top: int) -> Callable[[int], int]:
    """Levels moved so that the article's highest heading becomes ``top`` (below the page's
    own h1), the others keeping their distance to it, h6 at most."""
    levels = [block["level"] for block in blocks if block["t"] == "h"]
    highest = min(levels, default=top)
    return lambda level: max(1, min(6, level - highest + top))


class _Html:
    def __init__(self, shift: Callable[[int], int]) -> None:
        self.shift = shift

    def inlines(self, nodes: list[Inline]) -> str:
        return "".join(self.inline(node) for node in nodes)

    def inline(self, node: Inline) -> str:
        if isinstance(node, str):
            return _text(node)
        kind = node["t"]
        if kind == "code":
            return f"<code>{_text(node['text'])}</code>"
        if kind in _STYLE_TAGS:
            return f"<{kind}>{self.inlines(node['c'])}</{kind}>"
        if kind == "a":
            content = self.inlines(node["c"]) or _text(node["href"])
            return _external(node["href"], content) if is_web_url(node["href"]) else content
        return "<br>"  # "br": the vocabulary is closed, Document.from_data checked it

    def blocks(self, blocks: list[Block], sep: str = "") -> str:
        return sep.join(self.block(block) for block in blocks)

    def block(self, block: Block) -> str:
        kind = block["t"]
        if kind == "h":
            level = self.shift(block["level"])
            return f"<h{level}>{self.inlines(block['c'])}</h{level}>"
        if kind == "p":
            return f"<p>{self.inlines(block['c'])}</p>"
        if kind == "pre":
            lang = block.get("lang")
            cls = f' class="language-{_attr(lang)}"' if lang else ""
            return f"<pre><code{cls}>{_text(block['text'])}</code></pre>"
        if kind in ("ul", "ol"):
            items = "".join(f"<li>{self.blocks(item)}</li>" for item in block["items"])
            start = block.get("start", 1)
            attrs = f' start="{int(start)}"' if kind == "ol" and start != 1 else ""
            return f"<{kind}{attrs}>{items}</{kind}>"
        if kind == "dl":
            parts = []
            for entry in block["items"]:
                parts.append(f"<dt>{self.inlines(entry['term'])}</dt>")
                parts.extend(f"<dd>{self.blocks(d)}</dd>" for d in entry["defs"])
            return f"<dl>{''.join(parts)}</dl>"
        if kind == "quote":
            return f"<blockquote>{self.blocks(block['c'])}</blockquote>"
        if kind == "table":
            return self.table(block)
        if kind == "figure":
            return self.figure(block)
        return "<hr>"

    def table(self, block: Block) -> str:
        def rows(rows: list[list[list[Inline]]], cell: str) -> str:
            return "".join(
                "<tr>" + "".join(f"<{cell}>{self.inlines(c)}</{cell}>" for c in row) + "</tr>"
                for row in rows
            )

        head = f"<thead>{rows(block['head'], 'th')}</thead>" if block["head"] else ""
        body = f"<tbody>{rows(block['body'], 'td')}</tbody>" if block["body"] else ""
        return f'<div class="table-scroll"><table>{head}{body}</table></div>'

    def figure(self, block: Block) -> str:
        alt = block.get("alt", "")
        caption = self.inlines(block.get("caption", []))
        image = block.get("image")
        if image:
            img = f'<img src="/images/{image}" alt="{_attr(alt)}">'
            below = f"<figcaption>{caption}</figcaption>" if caption else ""
            return f"<figure>{img}{below}</figure>"
        # Not archived: no <img> at all (the reader never loads from the original site), the
        # words that describe it and a link out, marked as leaving the archive.
        words = caption or _text(alt) or "An image"
        link = _external(block["src"], "image on the original site (not archived)")
        return f"<figure><figcaption>{words} ({link})</figcaption></figure>"


def render_html(document: Document, *, top_heading: int = 2) -> str:
    """The article as this renderer builds it (what `to_html` hands to the sanitizer)."""
    renderer = _Html(_heading_shift(document.blocks, top_heading))
    return renderer.blocks(document.blocks, "\n")


def to_html(document: Document, *, top_heading: int = 2) -> str:
    """The article as an HTML fragment inside `ALLOWED`, passed through `sanitize`."""
    return sanitize(render_html(document, top_heading=top_heading))


def _keep_attribute(tag: str, name: str, value: str) -> str | None:
    if name == "class":
        pattern = _LANGUAGE_CLASS if tag == "code" else _CLASSES.get(tag)
        return value if pattern is not None and pattern.fullmatch(value) else None
    if tag == "a" and name == "href":
        return value if is_web_url(value) else None
    if tag == "img" and name == "src":
        return value if _IMAGE_SRC.fullmatch(value) else None
    if tag == "ol" and name == "start":
        return value if re.fullmatch(r"-?[0-9]{1,9}", value) else None
    return value


def sanitize(html: str) -> str:
    """``html`` cut down to `ALLOWED` by nh3: links http(s) with our rel, images from
    /images/ only, classes only those the renderer writes."""
    return nh3.clean(
        html,
        tags=set(ALLOWED),
        clean_content_tags={"script", "style"},
        attributes=ALLOWED,
        attribute_filter=_keep_attribute,
        link_rel=LINK_REL,
        url_schemes={"http", "https"},
        strip_comments=True,
    )


# --- Markdown -----------------------------------------------------------------------------

# Every character that means something inline in CommonMark/GFM; a backslash keeps it text.
_MD_INLINE = re.compile(r"([\\`*_\[\]<|~&])")
# What starts a block at the beginning of a line: a heading, quote, list item, rule.
_MD_LINE_START = re.compile(r"^( *)([-+=>#]|[0-9]+(?=[.)]))", re.M)


def _escape_line_start(match: re.Match[str]) -> str:
    indent, mark = match.groups()
    # A backslash before a digit is no escape in CommonMark: escape the "." or ")" after it.
    return f"{indent}{mark}\\" if mark[0].isdigit() else f"{indent}\\{mark}"


_WHITESPACE = re.compile(r"\s+")


def _md_text(text: str) -> str:
    # Outside code, a newline is only whitespace (as in HTML); one space keeps a line from
    # starting a block.
    return _MD_INLINE.sub(r"\\\1", _WHITESPACE.sub(" ", _plain(text)))


def _md_url(url: str) -> str:
    return re.sub(r"[\s()<>]", lambda m: f"%{ord(m.group()):02X}", url)


def _code_span(text: str) -> str:
    text = _WHITESPACE.sub(" ", _plain(text))
    runs = [len(run) for run in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


class _Markdown:
    def __init__(self, shift: Callable[[int], int], image_base: str) -> None:
        self.shift = shift
        self.image_base = image_base

    def inlines(self, nodes: list[Inline], br: str = "\\\n") -> str:
        return "".join(self.inline(node, br) for node in nodes)

    def inline(self, node: Inline, br: str) -> str:
        if isinstance(node, str):
            return _md_text(node)
        kind = node["t"]
        if kind == "code":
            return _code_span(node["text"])
        if kind in ("em", "strong", "del"):
            mark = {"em": "*", "strong": "**", "del": "~~"}[kind]
            inner = self.inlines(node["c"], br).strip()
            return f"{mark}{inner}{mark}" if inner else ""
        if kind in ("sub", "sup"):
            return f"<{kind}>{self.inlines(node['c'], br)}</{kind}>"
        if kind == "a":
            content = self.inlines(node["c"], br).strip() or _md_text(node["href"])
            return f"[{content}]({_md_url(node['href'])})"
        return br

    def paragraph(self, nodes: list[Inline]) -> str:
        text = self.inlines(nodes).strip()
        # A line that would start a block stays text: its first character escaped.
        return _MD_LINE_START.sub(_escape_line_start, text)

    def blocks(self, blocks: list[Block]) -> str:
        return "\n\n".join(part for part in (self.block(b) for b in blocks) if part)

    def block(self, block: Block) -> str:
        kind = block["t"]
        if kind == "h":
            text = self.inlines(block["c"], br=" ").strip()
            text = text[:-1] + "\\#" if text.endswith("#") else text  # not a closing sequence
            return f"{'#' * self.shift(block['level'])} {text}" if text else ""
        if kind == "p":
            return self.paragraph(block["c"])
        if kind == "pre":
            text = _plain(block["text"]).removesuffix("\n")
            runs = [len(run) for run in re.findall(r"`+", text)]
            fence = "`" * max(3, max(runs, default=0) + 1)
            return f"{fence}{block.get('lang') or ''}\n{text}\n{fence}"
        if kind in ("ul", "ol"):
            return self.listing(block)
        if kind == "dl":
            parts = []
            for entry in block["items"]:
                parts.append(f"**{self.inlines(entry['term'], br=' ').strip()}**")
                parts.extend(_indent(self.blocks(d), ": ", "  ") for d in entry["defs"])
            return "\n\n".join(parts)
        if kind == "quote":
            inner = self.blocks(block["c"])
            return "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))
        if kind == "table":
            return self.table(block)
        if kind == "figure":
            return self.figure(block)
        return "---"

    def listing(self, block: Block) -> str:
        # CommonMark numbers lists from 0 to 999999999 only.
        start = min(max(block.get("start", 1), 0), 999_999_999) if block["t"] == "ol" else 1
        items = []
        for number, item in enumerate(block["items"], start):
            marker = f"{number}. " if block["t"] == "ol" else "- "
            items.append(_indent(self.item(item), marker, " " * len(marker)))
        loose = any("\n\n" in item for item in items)
        return ("\n\n" if loose else "\n").join(items)

    def item(self, blocks: list[Block]) -> str:
        # A list nested right after an item's text stays tight (no blank line between).
        out = ""
        for block in blocks:
            part = self.block(block)
            if part:
                # ... except an ordered list not starting at 1, which CommonMark would
                # read as the paragraph's continuation.
                nested = block["t"] == "ul" or (block["t"] == "ol" and block.get("start", 1) == 1)
                tight = nested and out and "\n\n" not in out
                out = (out + ("\n" if tight else "\n\n") + part) if out else part
        return out

    def table(self, block: Block) -> str:
        rows = [*block["head"], *block["body"]]
        width = max((len(row) for row in rows), default=0)
        if not width:
            return ""

        def line(row: list[list[Inline]]) -> str:
            cells = [self.inlines(cell, br="<br>").strip() for cell in row]
            cells += [""] * (width - len(cells))
            return "| " + " | ".join(cells) + " |"

        # GFM needs a header row: the table's own, else an empty one.
        head = line(block["head"][0]) if block["head"] else line([])
        body = [line(row) for row in [*block["head"][1:], *block["body"]]]
        return "\n".join([head, "|" + " --- |" * width, *body])

    def figure(self, block: Block) -> str:
        alt = _md_text(block.get("alt", ""))
        caption = self.inlines(block.get("caption", []), br=" ").strip()
        image = block.get("image")
        if image:
            lines = [f"![{alt}]({self.image_base}/images/{image})"]
        else:
            lines = [f"{alt or 'An image'} ([image on the original site]({_md_url(block['src'])}))"]
        if caption:
            # Underscores: the caption's own emphasis is written with asterisks.
            lines.append(f"_{caption}_")
        return "\n\n".join(lines)


def _indent(text: str, first: str, rest: str) -> str:
    lines = text.split("\n") if text else [""]
    head = first + lines[0]
    return "\n".join([head.rstrip(), *((rest + line) if line else "" for line in lines[1:])])


def to_markdown(document: Document, *, image_base: str = "", top_heading: int = 2) -> str:
    """The article as CommonMark with GFM tables; images at ``image_base``/images/<sha256>
    (give the server's absolute URL when known; empty keeps them relative to the server)."""
    renderer = _Markdown(_heading_shift(document.blocks, top_heading), image_base.rstrip("/"))
    text = renderer.blocks(document.blocks)
    return text + "\n" if text else ""


def text_document(text: str) -> Document:
    """A copy without structure as a Document of paragraphs (blank lines apart), so that it
    can be downloaded the same way."""
    paragraphs = (part.strip() for part in re.split(r"\n\s*\n", _plain(text)))
    return Document([{"t": "p", "c": [part]} for part in paragraphs if part])


def markdown_file(
    document: Document, *, title: str, source_url: str, archived: str, image_base: str = ""
) -> str:
    """One article to take away: its title as ``# heading``, where it came from and when it
    was archived, then the article (its headings below the title)."""
    head = f"# {_md_text(title).strip() or 'Untitled'}"
    source = f"Source: <{_md_url(source_url)}>" if is_web_url(source_url) else ""
    lines = [head, "", "\\\n".join(part for part in (source, f"Archived: {archived}") if part)]
    body = to_markdown(without_title(document, title), image_base=image_base)
    return "\n".join(lines) + "\n\n---\n\n" + body
