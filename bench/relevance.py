"""Relevance of both search backends: does the page a probe names come first?

    .venv/bin/python -m bench.relevance                      # 2,000 pages, both backends
    .venv/bin/python -m bench.relevance --docs 10000 --backend whoosh --json relevance.json

Builds a corpus (bench/_probes.py: seeded generated articles as the other search benches
use, the real pages' texts of bench/extract_corpus/, and pages planted for the cases issue 14
saw), indexes it into a Whoosh index in a temporary folder and into the PostgreSQL backend in
a throwaway server (bench/postgres.py), then runs each probe as a search of ten hits and
looks for the page it expects. Probe kinds: rare words of one page, exact titles, quoted
phrases (real and generated text), quoted phrases mostly of stop words, two rare words in a
body against a common word in a title, and CPython identifiers by part, whole and spaced.

Prints, per backend and kind, top-1 (the page is the first hit) and MRR at 10 (1/rank, 0
past the tenth hit), then every probe whose page was not first: what came first, where the
page was, and both scores. --json FILE writes {"docs": N, "backends": {BACKEND: {"overall":
{"top1", "mrr", "probes"}, KIND: {...}}}, "failures": {BACKEND: [[probe, expected, got],
...]}} with top1 and mrr as fractions. Same --seed, same corpus, probes and results.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if not __package__:  # `python bench/relevance.py`: the repository root, so `bench` imports
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402

from archiver import Store, make_engine  # noqa: E402
from archiver.models import Link  # noqa: E402
from bench._common import machine  # noqa: E402
from bench._probes import KINDS, MIN_DOCS, Probe, build  # noqa: E402
from bench.postgres import PostgresServer  # noqa: E402
from index import IndexRecord, QueryError, SearchBackend, SearchIndex, SearchQuery  # noqa: E402
from index.postgres import PostgresSearch  # noqa: E402

BACKENDS = ("whoosh", "postgres")
TOP = 10
DEEP = 100  # where a page not in the first ten is looked for, to say how far down it is


@dataclass
class Outcome:
    probe: Probe
    rank: int | None  # 1-based place of the expected page in the first ten hits
    first: tuple[int, str, float] | None  # (id, title, score) of the first hit
    expected_score: float | None
    error: str | None = None
    total: int = 0  # pages matched
    deep_rank: int | None = None  # its place past the tenth, within the first DEEP
    fallback_or: bool = False  # no page held every word: any-word matching ranked

    @property
    def reciprocal(self) -> float:
        return 1.0 / self.rank if self.rank else 0.0


# -- the backends ---------------------------------------------------------------------------


@contextlib.contextmanager
def whoosh_backend(records: list[IndexRecord], work: Path) -> Iterator[SearchBackend]:
    index = SearchIndex(work / "index", search_time_limit=30.0)
    try:
        index.rebuild(records)
        yield index
    finally:
        index.close()


@contextlib.contextmanager
def postgres_backend(records: list[IndexRecord], work: Path) -> Iterator[SearchBackend]:
    """A cluster of its own in a temporary folder (not under ``work``: as root the server runs
    as the postgres user, who must own its folder), stopped and removed after."""
    folder = Path(tempfile.mkdtemp(prefix="lv-relevance-pg-"))
    server = PostgresServer(folder).start()
    engine = make_engine(server.database())
    try:
        Store(engine).create_schema()
        with engine.begin() as conn:  # search_documents.link_id references links
            conn.execute(
                insert(Link),
                [{"id": r.id, "url": r.url, "normalized_url": r.url} for r in records],
            )
        backend = PostgresSearch(engine)
        backend.rebuild(records)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))  # as autovacuum would, soon after
        yield backend
    finally:
        engine.dispose()
        with contextlib.suppress(Exception):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


OPENERS = {"whoosh": whoosh_backend, "postgres": postgres_backend}


# -- probing --------------------------------------------------------------------------------


def run_probes(backend: SearchBackend, probes: list[Probe]) -> list[Outcome]:
    outcomes = []
    for probe in probes:
        try:
            page = backend.search(SearchQuery(probe.query, per_page=TOP, snippet_fragments=0))
        except QueryError as exc:
            outcomes.append(Outcome(probe, None, None, None, error=str(exc)))
            continue
        ids = [hit.id for hit in page.hits]
        rank = ids.index(probe.expected) + 1 if probe.expected in ids else None
        first = (page.hits[0].id, page.hits[0].title, page.hits[0].score) if page.hits else None
        score = page.hits[rank - 1].score if rank else None
        outcome = Outcome(probe, rank, first, score, total=page.total, fallback_or=page.fallback_or)
        if rank is None and page.total > TOP:
            outcome.expected_score = look_further(backend, outcome)
        outcomes.append(outcome)
    return outcomes


def look_further(backend: SearchBackend, outcome: Outcome) -> float | None:
    """The expected page's score, and its place in ``deep_rank``, from the first DEEP hits
    (only for the report: the rank that counts is within the first ten)."""
    page = backend.search(SearchQuery(outcome.probe.query, per_page=DEEP, snippet_fragments=0))
    for place, hit in enumerate(page.hits, 1):
        if hit.id == outcome.probe.expected:
            outcome.deep_rank = place
            return hit.score
    return None


def summary(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    """{"overall": {"top1", "mrr", "probes"}, kind: {...}} over ``outcomes``."""
    groups: dict[str, list[Outcome]] = {"overall": outcomes}
    for kind in KINDS:
        kept = [o for o in outcomes if o.probe.kind == kind]
        if kept:
            groups[kind] = kept
    return {
        name: {
            "top1": round(sum(o.rank == 1 for o in group) / len(group), 3),
            "mrr": round(sum(o.reciprocal for o in group) / len(group), 3),
            "probes": len(group),
        }
        for name, group in groups.items()
    }


def label(page_id: int, title: str) -> str:
    return f"#{page_id} {title[:50]}"


def failures(outcomes: list[Outcome], titles: dict[int, str]) -> list[list[str]]:
    """[probe, expected, got] for every probe whose page was not first."""
    rows = []
    for o in outcomes:
        if o.rank == 1:
            continue
        expected = label(o.probe.expected, titles[o.probe.expected])
        if o.error is not None:
            got = f"refused: {o.error}"
        elif o.first is None:
            got = "no hits"
        else:
            got = label(o.first[0], o.first[1])
        rows.append([o.probe.query, expected, got])
    return rows


# -- the report -----------------------------------------------------------------------------


def print_table(results: dict[str, dict[str, dict[str, float]]]) -> None:
    names = list(results)
    print(
        f"\n  {'kind':14s} {'probes':>6s}"
        + "".join(f"  {n + ' top-1':>14s}  {'MRR':>5s}" for n in names)
    )
    for kind in ["overall", *KINDS]:
        rows = [results[n].get(kind) for n in names]
        if rows[0] is None:
            continue
        line = f"  {kind:14s} {rows[0]['probes']:6d}"
        for row in rows:
            assert row is not None
            line += f"  {row['top1'] * 100:13.1f}%  {row['mrr']:5.3f}"
        print(line)


def print_failures(name: str, outcomes: list[Outcome], titles: dict[int, str]) -> None:
    missed = [o for o in outcomes if o.rank != 1]
    print(f"\n{name}: {len(missed)} of {len(outcomes)} probes not first")
    for o in missed:
        p = o.probe
        place = o.rank or o.deep_rank
        if place:
            where = f"rank {place} (score {o.expected_score:.4g})"
        else:
            where = f"not in the first {DEEP}" if o.total > TOP else "not matched"
        where += f" of {o.total} matches" + (", any-word fallback" if o.fallback_or else "")
        if o.error is not None:
            first = f"refused: {o.error}"
        elif o.first is None:
            first = "no hits"
        else:
            first = f"first {label(o.first[0], o.first[1])!r} (score {o.first[2]:.4g})"
        print(f"  [{p.kind}] {p.query!r}: expected #{p.expected} {where}; {first}")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.relevance", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--docs", type=int, default=2000, help="pages in the corpus (>= 200)")
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    args = parser.parse_args()
    if args.docs < MIN_DOCS:
        parser.error(f"--docs must be at least {MIN_DOCS}")
    print(machine())
    started = time.perf_counter()
    probed = build(args.docs, args.seed)
    titles = {r.id: r.title for r in probed.records}
    print(
        f"{len(probed.records):,} pages, {len(probed.probes)} probes, seed {args.seed} "
        f"({time.perf_counter() - started:.1f} s)"
    )
    names = BACKENDS if args.backend == "both" else (args.backend,)
    results: dict[str, dict[str, dict[str, float]]] = {}
    outcomes: dict[str, list[Outcome]] = {}
    with tempfile.TemporaryDirectory(prefix="lv-relevance-") as work:
        for name in names:
            started = time.perf_counter()
            with OPENERS[name](probed.records, Path(work)) as backend:
                built = time.perf_counter() - started
                outcomes[name] = run_probes(backend, probed.probes)
            print(f"{name}: indexed in {built:.1f} s, probed", flush=True)
            results[name] = summary(outcomes[name])
    print_table(results)
    for name in names:
        print_failures(name, outcomes[name], titles)
    if args.json is not None:
        data: dict[str, Any] = {
            "docs": len(probed.records),
            "backends": results,
            "failures": {name: failures(outcomes[name], titles) for name in names},
        }
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
