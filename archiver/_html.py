"""HTML to article text and metadata: trafilatura first, plain page text as the fallback."""

from __future__ import annotations

import re
import unicodedata
from copy import copy
from dataclasses import dataclass
from datetime import date
from html import unescape
from typing import Any

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.deduplication import LRUCache
from trafilatura.settings import Document as TrafilaturaDocument
from trafilatura.xml import xmltotxt

from archiver._charset import decode
from archiver._structure import document_from_html
from archiver.document import Document

# Pages above this are cut before parsing (after dropping scripts and styles, which is where
# most of the weight of big pages sits), so one pathological page cannot stall a worker.
MAX_HTML_CHARS = 5_000_000
# Below this much main text, trafilatura probably missed the content (link lists, index pages,
# app shells), so the page's visible text is used if it has more.
MIN_MAIN_TEXT = 100
# Trafilatura costs 0.1-0.5 ms per element (link-dense pages are the worst); above this many
# elements (after dropping scripts and styles) a page gets the cheap extraction instead.
# Typical articles have 500-5,000 elements and under 50,000 characters of text; a whole book
# on one page does not need boilerplate removal anyway.
MAX_TREE_ELEMENTS = 15_000
MAX_TREE_TEXT = 300_000

_PARSER = lxml.html.HTMLParser(
    collect_ids=False, encoding="utf-8", remove_comments=True, remove_pis=True
)
# Unclosed blocks run to the end (as in browsers), which also keeps these scans linear.
_HEAVY_BLOCKS = re.compile(
    r"<(script|style|svg)\b(?![^>]*application/ld\+json)[^>]*>(?:.*?</\1\s*>|.*$)"
    r"|<!--.*?(?:-->|$)",
    re.IGNORECASE | re.DOTALL,
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_LANG_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{4}|[A-Za-z]{2}|\d{3}))?(?:[-_]|$)")

# Never visible, or not text: dropped from the fallback text.
_INVISIBLE = frozenset(
    {"script", "style", "noscript", "template", "head", "svg", "math", "iframe", "object"}
)
# An unclosed <script> runs to the end of the document, as in browsers.
_INVISIBLE_BLOCKS = re.compile(
    r"<(script|style|noscript|template|svg|head)\b[^>]*>(?:.*?</\1\s*>|.*$)|<!--.*?(?:-->|$)",
    re.IGNORECASE | re.DOTALL,
)
_TAGS = re.compile(r"<[^<>]*>")
_BLOCK_TAGS = frozenset(
    re.findall(
        r"\w+",
        "address article aside blockquote body br caption dd details dialog div dl dt fieldset "
        "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main nav ol p pre "
        "section summary table tbody td tfoot th thead tr ul",
    )
)


@dataclass(frozen=True, slots=True)
class HtmlOptions:
    """The trafilatura knobs linkvault exposes (see bench/extract_eval.py for their effect)."""

    fast: bool = False
    favor_precision: bool = False
    favor_recall: bool = False
    # True: trafilatura sets comment sections aside (and linkvault drops them);
    # False: it prunes comment-like containers from the tree before extraction.
    include_comments: bool = True
    include_tables: bool = True
    # Remove repeated paragraphs within one page (cache scoped to the page, not the process).
    deduplicate: bool = False
    # htmldate's extensive search scans the page text for dates when markup has none.
    date_extensive_search: bool = True
    # Append the comments to the text, as trafilatura.extract() does (kept for the bench).
    append_comments: bool = False
    # Build the structured copy (archiver/_structure.py); off only to time the text alone.
    structure: bool = True


@dataclass(slots=True)
class HtmlText:
    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None
    sitename: str | None = None
    description: str | None = None
    language: str | None = None
    document: Document | None = None


def extract_html(
    body: bytes | str, url: str | None, header_charset: str | None, options: HtmlOptions
) -> HtmlText:
    """Main text and metadata of an HTML page; never empty while the page shows any text."""
    html = body if isinstance(body, str) else decode(body, header_charset, markup=True)
    html = _limit_size(html)
    tree = _parse(html)
    if tree is None:
        return HtmlText(text=stripped_text(html))
    _strip_dead_weight(tree)
    page = (
        _light_extraction(tree, url, options)
        if _too_big(tree)
        else _full_extraction(tree, url, options)
    )
    if not page.text:
        # libxml2 gives up below 256 levels of nesting, and some garbage parses to nothing.
        page.text = stripped_text(html)
    return page


def _too_big(tree: lxml.html.HtmlElement) -> bool:
    elements = tree.xpath("count(//*)")
    text = tree.xpath("string-length(/html/body)")
    return (
        isinstance(elements, float)
        and isinstance(text, float)
        and (elements > MAX_TREE_ELEMENTS or text > MAX_TREE_TEXT)
    )


def _full_extraction(
    tree: lxml.html.HtmlElement, url: str | None, options: HtmlOptions
) -> HtmlText:
    doc = _run_trafilatura(tree, url, options)
    text = _main_text(doc, options) if doc is not None else ""
    meta = doc if doc is not None else _metadata_only(tree, url, options)
    if len(text) < MIN_MAIN_TEXT:
        fallback = visible_text(tree)
        if len(fallback) > len(text):
            text = fallback
    page = HtmlText(text=text, language=_language(tree))
    if options.structure:
        page.document = document_from_html(tree, url, text)
    if meta is not None:
        page.title = _clean_line(meta.title)
        page.author = _clean_line(meta.author)
        page.published = _iso_date(meta.date)
        page.sitename = _clean_line(meta.sitename)
        page.description = _clean_line(meta.description)
    page.title = page.title or _title_fallback(tree)
    return page


def _light_extraction(
    tree: lxml.html.HtmlElement, url: str | None, options: HtmlOptions
) -> HtmlText:
    """Huge pages: trafilatura needs seconds per ten thousand elements, so take the visible
    text and the metadata from <meta> tags instead (and the whole page's structure, which
    the walk's element budget keeps bounded)."""
    return HtmlText(
        text=visible_text(tree),
        document=document_from_html(tree, url, None) if options.structure else None,
        title=_title_fallback(tree),
        author=_clean_line(_first(tree, '//meta[@name="author"]/@content')),
        published=_iso_date(
            _first(
                tree,
                '//meta[@property="article:published_time" or @itemprop="datePublished"'
                ' or @name="date"]/@content|//time/@datetime',
            )
        ),
        sitename=_clean_line(_first(tree, '//meta[@property="og:site_name"]/@content')),
        description=_clean_line(
            _first(tree, '//meta[@name="description" or @property="og:description"]/@content')
        ),
        language=_language(tree),
    )


def _limit_size(html: str) -> str:
    if len(html) <= MAX_HTML_CHARS:
        return html
    return _HEAVY_BLOCKS.sub("", html)[:MAX_HTML_CHARS]


def _parse(html: str) -> lxml.html.HtmlElement | None:
    if not html.strip():
        return None
    try:
        # trafilatura's loader repairs a few libxml2 pitfalls (doctype, self-closed <html/>).
        tree = trafilatura.load_html(html)
    except Exception:
        tree = None
    if tree is not None:
        return tree
    # Fragments and text served as text/html: load_html refuses them, lxml wraps them.
    try:
        data = _XML_DECLARATION.sub("", html).encode("utf-8", "replace")
        return lxml.html.document_fromstring(data, parser=_PARSER)
    except (etree.ParserError, ValueError, TypeError):
        return None


def _strip_dead_weight(tree: lxml.html.HtmlElement) -> None:
    """Drop scripts (but JSON-LD metadata), styles, inline SVG and <nav> before trafilatura.

    Trafilatura discards them for text but walks them in several passes (metadata, date search,
    cleaning, its fallback extractors); on real pages they are most of the markup. A page whose
    only text is in a <nav> still gets it through the regex fallback.
    """
    etree.strip_elements(tree, "style", "svg", "{http://www.w3.org/2000/svg}svg", with_tail=False)
    scripts = [s for s in tree.iter("script") if "ld+json" not in (s.get("type") or "").lower()]
    _remove(scripts)
    _remove(list(tree.iter("nav")))


def _date_params(options: HtmlOptions) -> dict[str, Any]:
    return {
        "original_date": True,
        "extensive_search": options.date_extensive_search,
        "max_date": date.today().isoformat(),
    }


def _run_trafilatura(
    tree: lxml.html.HtmlElement, url: str | None, options: HtmlOptions
) -> TrafilaturaDocument | None:
    try:
        doc = trafilatura.bare_extraction(
            tree,  # copied by trafilatura, so the fallback still sees the whole page
            url=url,
            with_metadata=True,
            fast=options.fast,
            favor_precision=options.favor_precision,
            favor_recall=options.favor_recall,
            include_comments=options.include_comments,
            include_tables=options.include_tables,
            include_formatting=False,
            # A fresh cache per page: the default one is process-wide and would drop
            # paragraphs a worker has seen on earlier pages (shared disclaimers, bylines).
            deduplicate=LRUCache(maxsize=1000) if options.deduplicate else False,
            date_extraction_params=_date_params(options),
        )
    except Exception:  # trafilatura has many edge-case bugs; the fallback covers the page
        return None
    return doc if isinstance(doc, TrafilaturaDocument) else None


def _metadata_only(
    tree: lxml.html.HtmlElement, url: str | None, options: HtmlOptions
) -> TrafilaturaDocument | None:
    try:
        return trafilatura.extract_metadata(copy(tree), url, _date_params(options))
    except Exception:
        return None


def _main_text(doc: TrafilaturaDocument, options: HtmlOptions) -> str:
    # One block per top-level element so paragraphs stay apart in the reader view;
    # trafilatura's own text output joins them with single newlines.
    blocks: list[str] = []
    if doc.body is not None:
        blocks.extend(xmltotxt(child, False).strip() for child in doc.body)
    if options.append_comments and doc.commentsbody is not None:
        blocks.extend(xmltotxt(child, False).strip() for child in doc.commentsbody)
    return normalize_text("\n\n".join(block for block in blocks if block))


def visible_text(tree: lxml.html.HtmlElement) -> str:
    """The page's visible text, one paragraph per block element (navs are gone by now)."""
    return _block_text(tree, _INVISIBLE)


def _remove(elements: list[lxml.html.HtmlElement]) -> None:
    for element in elements:
        parent = element.getparent()
        if parent is None:
            continue
        # Keep the text that follows the dropped element.
        if element.tail:
            previous = element.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + element.tail
            else:
                parent.text = (parent.text or "") + element.tail
        parent.remove(element)


def _block_text(tree: lxml.html.HtmlElement, skip: frozenset[str]) -> str:
    parts: list[str] = []
    walker = etree.iterwalk(tree, events=("start", "end"))
    for event, element in walker:
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in skip:
                walker.skip_subtree()  # its tail still comes with the "end" event
                continue
            if tag in _BLOCK_TAGS:
                parts.append("\n")
            if tag and element.text:
                parts.append(element.text)
        else:
            if tag in _BLOCK_TAGS:
                parts.append("\n")
            if element.tail and element is not tree:
                parts.append(element.tail)
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return normalize_text("\n\n".join(line for line in lines if line))


def stripped_text(html: str) -> str:
    """Text of raw markup by regex, for pages lxml cannot build a usable tree from."""
    text = _TAGS.sub(" ", _INVISIBLE_BLOCKS.sub(" ", html))
    lines = (_SPACES.sub(" ", line).strip() for line in unescape(text).split("\n"))
    return normalize_text("\n".join(line for line in lines if line))


def normalize_text(text: str) -> str:
    """NFC, no control characters, at most one blank line between paragraphs."""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _first(tree: lxml.html.HtmlElement, xpath: str) -> str | None:
    try:
        found = tree.xpath(xpath)
    except etree.XPathError:  # pragma: no cover - constant expressions
        return None
    for item in found if isinstance(found, list) else []:
        value = item if isinstance(item, str) else getattr(item, "text_content", lambda: "")()
        if value and value.strip():
            return str(value)
    return None


def _title_fallback(tree: lxml.html.HtmlElement) -> str | None:
    for xpath in (
        '//meta[@property="og:title"]/@content',
        '//meta[@name="twitter:title"]/@content',
        "//title",
        "//h1",
    ):
        title = _clean_line(_first(tree, xpath))
        if title:
            return title
    return None


def _language(tree: lxml.html.HtmlElement) -> str | None:
    candidates = [
        tree.get("lang"),
        tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
        _first(
            tree,
            '//meta[translate(@http-equiv, "CONTENTLANGUAGE", "contentlanguage")='
            '"content-language"]/@content',
        ),
        _first(tree, '//meta[@property="og:locale"]/@content'),
        _first(tree, '//meta[@name="language" or @name="dc.language"]/@content'),
    ]
    for candidate in candidates:
        tag = normalize_language(candidate)
        if tag:
            return tag
    return None


def normalize_language(value: str | None) -> str | None:
    """BCP 47-ish tag ("en", "pt-BR", "zh-Hant") from lang attributes or og:locale values."""
    if not value:
        return None
    match = _LANG_TAG.match(value.strip().split(",")[0].strip())
    if not match or match.group(1).lower() in {"und", "mul", "zxx", "xx"}:
        return None
    lang, sub = match.group(1).lower(), match.group(2)
    if not sub:
        return lang
    return f"{lang}-{sub.title() if len(sub) == 4 else sub.upper()}"


def _clean_line(value: str | None) -> str | None:
    if not value:
        return None
    cleaned = _SPACES.sub(" ", _CONTROL.sub("", value).replace("\n", " ")).strip()
    return cleaned[:1000] or None


def _iso_date(value: str | None) -> str | None:
    if not value or not _ISO_DATE.match(value):
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None
