"""Score HTML extraction configurations on bench/extract_corpus/ (precision/recall/F1, ms/page).

Each NN-name.html page has a NN-name.txt ground truth: the article body as a reader would
mark it (no title, byline, share bars, related links, comments, newsletter boxes, footers).
The truth was chosen by hand by wrapping the main text in <!--gt--> ... <!--/gt--> with
<!--gt-skip--> ... <!--/gt-skip--> around asides inside it; `--rebuild-truth` regenerates the
.txt files from those markers (parsers drop comments, so extractors never see them).

Scoring is bag-of-words token overlap per page, averaged over pages, as in the ScrapingHub
article-extraction-benchmark and trafilatura's evaluation. The structure score runs on
tests/archiver/fixtures/structure/ (pages in the markup of publishing tools, each with the
code blocks, headings, list items and table cells a reader must find): per page, the share
of each that the structured copy has exactly, averaged. "CHOSEN, text only" times the same
pipeline without building the structured copy, so the cost of structure is read off one run.
`--trafilatura-eval DIR` also scores trafilatura's own evaluation set (DIR is a checkout's
tests/ directory, holding evaldata.py and cache/; never needed by CI) by its with/without
snippets. Timing is CPU time in one
process, best of --rounds per page; "heavy" repeats the timing on pages inflated with the
weight real pages carry (inline state JSON, CSS, mega-menus), since hand-written pages are
lighter than real ones.

    .venv/bin/python -m bench.extract_eval [--rounds 3] [--show-page NAME] [--rebuild-truth]
        [--only-chosen] [--trafilatura-eval DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import runpy
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import lxml.html
import trafilatura

from archiver.extract import EXTRACTOR_OPTIONS, HtmlOptions, decode_html, extract_html
from bench.structure_facts import facts

CORPUS = Path(__file__).resolve().parent / "extract_corpus"
STRUCTURE_CORPUS = Path(__file__).resolve().parents[1] / "tests/archiver/fixtures/structure"
SPEED_BAR_MS = 30.0
TOKEN = re.compile(r"\w+")
GT_REGION = re.compile(r"<!--gt-->(.*?)<!--/gt-->", re.DOTALL)
GT_SKIP = re.compile(r"<!--gt-skip-->.*?<!--/gt-skip-->", re.DOTALL)
BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "tr", "dt"}
BLOCKS |= {"dd", "table", "ul", "ol", "section", "figure", "figcaption", "br", "td", "th"}


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    html: bytes
    truth: str


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float


def load_corpus() -> list[Page]:
    pages = []
    for path in sorted(CORPUS.glob("*.html")):
        truth = path.with_suffix(".txt")
        if not truth.exists():
            sys.exit(f"missing ground truth {truth.name}: run with --rebuild-truth")
        pages.append(
            Page(
                path.stem,
                f"https://{path.stem.split('-', 1)[1]}.example/article",
                path.read_bytes(),
                truth.read_text("utf-8"),
            )
        )
    return pages


def truth_from_markers(html: str) -> str:
    chunks = []
    for region in GT_REGION.findall(html):
        fragment = lxml.html.fragment_fromstring(GT_SKIP.sub("", region), create_parent="div")
        for bad in fragment.xpath(".//script|.//style|.//noscript"):
            bad.drop_tree()
        for element in fragment.iter():
            if isinstance(element.tag, str) and element.tag in BLOCKS:
                element.tail = "\n" + (element.tail or "")
                if element.tag != "br":
                    element.text = "\n" + (element.text or "")
        lines = (" ".join(line.split()) for line in fragment.text_content().split("\n"))
        chunks.append("\n".join(line for line in lines if line))
    return "\n".join(chunks) + "\n"


def rebuild_truth() -> None:
    for path in sorted(CORPUS.glob("*.html")):
        truth = truth_from_markers(path.read_text("utf-8"))
        if not truth.strip():
            sys.exit(f"{path.name}: no <!--gt--> region")
        path.with_suffix(".txt").write_text(truth, "utf-8")
        print(f"{path.with_suffix('.txt').name}: {sum(tokens(truth).values())} tokens")


def tokens(text: str) -> Counter[str]:
    return Counter(TOKEN.findall(text.lower()))


def score(predicted: str, truth: str) -> Score:
    pred, gold = tokens(predicted), tokens(truth)
    overlap = sum((pred & gold).values())
    precision = overlap / sum(pred.values()) if pred else 0.0
    recall = overlap / sum(gold.values()) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1)


FIELDS = ("precision", "recall", "f1")

# A config maps (html bytes, url) to the extracted main text.
Extractor = Callable[[bytes, str], str]


def linkvault(options: HtmlOptions) -> Extractor:
    def run(html: bytes, url: str) -> str:
        return extract_html(html, url, None, options).text

    return run


def trafilatura_default(html: bytes, url: str) -> str:
    # What `trafilatura.extract(page)` gives with every option at its default.
    return trafilatura.extract(decode_html(html, None), url=url) or ""


# Every linkvault row runs the whole extract pipeline (decode, parse, metadata, fallback) with
# markup-only date search, as chosen; one row shows what htmldate's text search costs.
BASE = HtmlOptions(append_comments=False, date_extensive_search=False)
CONFIGS: dict[str, Extractor] = {
    "trafilatura.extract() defaults": trafilatura_default,
    "defaults + comments appended": linkvault(replace(BASE, append_comments=True)),
    "defaults (comments set aside)": linkvault(BASE),
    "include_comments=False": linkvault(replace(BASE, include_comments=False)),
    "favor_precision": linkvault(replace(BASE, favor_precision=True)),
    "favor_precision, no comments": linkvault(
        replace(BASE, favor_precision=True, include_comments=False)
    ),
    "favor_recall": linkvault(replace(BASE, favor_recall=True)),
    "favor_recall, no comments": linkvault(
        replace(BASE, favor_recall=True, include_comments=False)
    ),
    "favor_recall, fast": linkvault(replace(BASE, favor_recall=True, fast=True)),
    "favor_recall, deduplicate": linkvault(replace(BASE, favor_recall=True, deduplicate=True)),
    "favor_recall, no tables": linkvault(replace(BASE, favor_recall=True, include_tables=False)),
    "fast": linkvault(replace(BASE, fast=True)),
    "fast, no comments": linkvault(replace(BASE, fast=True, include_comments=False)),
    "fast, precision, no comments": linkvault(
        replace(BASE, fast=True, favor_precision=True, include_comments=False)
    ),
    "include_tables=False": linkvault(replace(BASE, include_tables=False)),
    "deduplicate": linkvault(replace(BASE, deduplicate=True)),
    "favor_recall, extensive dates": linkvault(
        replace(BASE, favor_recall=True, date_extensive_search=True)
    ),
    "CHOSEN (EXTRACTOR_OPTIONS)": linkvault(EXTRACTOR_OPTIONS),
    "CHOSEN, text only": linkvault(replace(EXTRACTOR_OPTIONS, structure=False)),
}
CHOSEN = ("CHOSEN (EXTRACTOR_OPTIONS)", "CHOSEN, text only")


# --- structure ---------------------------------------------------------------------------

STRUCTURE_PARTS = ("code", "headings", "list_items", "table")


def structure_scores(options: HtmlOptions) -> dict[str, float]:
    """Mean share of each page's expected code blocks (byte-exact, with language), headings
    (with level), list items and table cells found in its structured copy."""
    per_part: dict[str, list[float]] = {part: [] for part in STRUCTURE_PARTS}
    for path in sorted(STRUCTURE_CORPUS.glob("*.html")):
        expected = json.loads(path.with_suffix(".json").read_text("utf-8"))
        found = facts(extract_html(path.read_bytes(), expected["url"], None, options).document)
        for part in STRUCTURE_PARTS:
            want, got = expected[part], found[part]
            if part == "table":
                want = [cell for row in want or [] for cell in row]
                got = [cell for row in got or [] for cell in row]
            if not want:
                continue
            if part == "list_items":
                # An item's own text, before any list nested in it.
                own = {item.split("\n", 1)[0] for item in got} | set(got)
                hits = sum(item in own for item in want)
                got = want  # the expectations name some items, not every one
            else:  # in order: the n-th expected against the n-th found
                hits = sum(w == g for w, g in zip(want, got, strict=False))
            per_part[part].append(hits / max(len(want), len(got)))
    scores = {part: statistics.mean(v) if v else 0.0 for part, v in per_part.items()}
    scores["all"] = statistics.mean(scores[part] for part in STRUCTURE_PARTS)
    return scores


# --- trafilatura's evaluation set -----------------------------------------------------------


def trafilatura_eval(directory: Path, extractor: Extractor) -> Score:
    """Snippet-level scores as trafilatura's own evaluation counts them: a "with" snippet
    found is a true positive, a "without" snippet found a false positive."""
    pages = runpy.run_path(str(directory / "evaldata.py"))["EVAL_PAGES"]
    tp = fp = fn = 0
    for url, page in pages.items():
        path = directory / "cache" / page["file"]
        if not path.exists():
            continue
        text = " ".join(extractor(path.read_bytes(), url).split())
        for snippet in page.get("with", []):
            if " ".join(snippet.split()) in text:
                tp += 1
            else:
                fn += 1
        fp += sum(" ".join(s.split()) in text for s in page.get("without", []))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1)


def inflate(html: bytes) -> bytes:
    """Add the dead weight of a typical news page: state JSON, CSS, a mega-menu, a footer."""
    state = '{"items":[' + ",".join(
        f'{{"id":{i},"slug":"story-{i}","headline":"Story number {i}","tags":["a","b"]}}'
        for i in range(700)
    )
    css = "".join(f".c{i}{{margin:{i % 9}px;color:#{i:06x}}}" for i in range(1500))
    menu = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(120))
    footer = "".join(f'<li><a href="/info/{i}">Information page {i}</a></li>' for i in range(60))
    head = f"<style>{css}</style><script>window.__STATE__={state}]}};</script>"
    html = html.replace(b"</head>", head.encode() + b"</head>", 1)
    html = re.sub(
        rb"(<body[^>]*>)", rb"\1<div class='mega-menu'><ul>" + menu.encode() + rb"</ul></div>", html
    )
    return html.replace(b"</body>", f"<footer><ul>{footer}</ul></footer></body>".encode(), 1)


def timed(extractor: Extractor, pages: list[Page], rounds: int, heavy: bool) -> list[float]:
    per_page = []
    for page in pages:
        html = inflate(page.html) if heavy else page.html
        best = float("inf")
        for _ in range(rounds):
            start = time.process_time()
            extractor(html, page.url)
            best = min(best, time.process_time() - start)
        per_page.append(best * 1000)
    return per_page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rebuild-truth", action="store_true")
    parser.add_argument("--show-page", help="print per-config scores for pages matching this")
    parser.add_argument("--only-chosen", action="store_true", help="time the chosen rows only")
    parser.add_argument("--trafilatura-eval", type=Path, metavar="DIR")
    args = parser.parse_args()
    if args.rebuild_truth:
        rebuild_truth()
        return
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the bar says
    pages = load_corpus()
    kb = statistics.mean(len(p.html) for p in pages) / 1024
    kb_heavy = statistics.mean(len(inflate(p.html)) for p in pages) / 1024
    print(f"{len(pages)} pages, mean {kb:.0f} KB as written, {kb_heavy:.0f} KB inflated\n")
    header = f"{'configuration':34} {'P':>6} {'R':>6} {'F1':>6} {'ms':>6} {'heavy':>6}"
    print(header)
    print("-" * len(header))
    results = {}
    for name, extractor in CONFIGS.items():
        if args.only_chosen and name not in CHOSEN:
            continue
        scores = [score(extractor(p.html, p.url), p.truth) for p in pages]
        light = statistics.mean(timed(extractor, pages, args.rounds, heavy=False))
        heavy = statistics.mean(timed(extractor, pages, args.rounds, heavy=True))
        row = Score(*(statistics.mean(getattr(s, f) for s in scores) for f in FIELDS))
        results[name] = (row, light, heavy)
        print(
            f"{name:34} {row.precision:6.3f} {row.recall:6.3f} {row.f1:6.3f} "
            f"{light:6.1f} {heavy:6.1f}"
        )
        if args.show_page:
            for page, s in zip(pages, scores, strict=True):
                if args.show_page in page.name:
                    print(f"    {page.name:40} P {s.precision:.3f} R {s.recall:.3f} F {s.f1:.3f}")
    structure = structure_scores(EXTRACTOR_OPTIONS)
    parts = "  ".join(f"{part} {structure[part]:.3f}" for part in STRUCTURE_PARTS)
    print(f"\nstructure score (chosen options): {structure['all']:.3f}  ({parts})")
    with_structure, text_only = (results.get(name) for name in CHOSEN)
    if with_structure and text_only:
        light = with_structure[1] / text_only[1] - 1
        heavy = with_structure[2] / text_only[2] - 1
        print(f"cost of the structured copy: {light:+.0%} ms/page, {heavy:+.0%} inflated")
    if args.trafilatura_eval:
        print(f"\ntrafilatura evaluation set ({args.trafilatura_eval}):")
        for name in CHOSEN:
            row = trafilatura_eval(args.trafilatura_eval, CONFIGS[name])
            print(f"{name:34} {row.precision:6.3f} {row.recall:6.3f} {row.f1:6.3f}")
    eligible = {
        name: r for name, r in results.items() if r[2] <= SPEED_BAR_MS and not name.isupper()
    }
    eligible.pop("CHOSEN (EXTRACTOR_OPTIONS)", None)
    if eligible:
        best = max(eligible, key=lambda name: eligible[name][0].f1)
        print(f"\nbest F1 within {SPEED_BAR_MS:.0f} ms/page (inflated pages): {best}")


if __name__ == "__main__":
    main()
