"""Whoosh (index/) against SQLite FTS5 on the same synthetic articles.

    .venv/bin/python -m bench.search_index --docs 10000

Generates --docs articles from a Zipf-distributed vocabulary (seeded), builds the linkvault
index (SearchIndex.rebuild) and an FTS5 table (porter tokenizer, bm25 with title weight 3),
then times in-process searches of one, two and three words. Prints build time and size,
search latency percentiles, and the cost of indexing ~8 KB articles one at a time through
IndexWriter (as the archiver does).

Whoosh is timed through SearchIndex.search, i.e. what /api/search does: ten hits with
snippets, exact total, section and domain facets over the whole result set. FTS5 is timed
twice: "fts5" (ten hits with snippet(), what FTS5 gives cheaply) and "fts5+count" (plus
COUNT(*) and GROUP BY for the same total and facets).
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench._common import percentiles, time_queries, work_folder
from bench._corpus import Corpus
from index import IndexRecord, SearchIndex, SearchQuery


def build_fts5(path: Path, records: Iterator[IndexRecord]) -> tuple[float, int]:
    started = time.perf_counter()
    db = sqlite3.connect(path)
    db.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(title, text, section UNINDEXED, "
        "domain UNINDEXED, tokenize='porter unicode61')"
    )
    with db:
        db.executemany(
            "INSERT INTO docs(rowid, title, text, section, domain) VALUES (?, ?, ?, ?, ?)",
            ((r.id, r.title, r.text, r.section, r.domain) for r in records),
        )
    db.execute("INSERT INTO docs(docs) VALUES('optimize')")
    db.commit()
    count = db.execute("SELECT count(*) FROM docs").fetchone()[0]
    db.close()
    return time.perf_counter() - started, count


def fts5_records(path: Path) -> Iterator[IndexRecord]:
    """Read the articles back from the FTS5 table: generating them twice would double the
    generation time, keeping them in memory would need gigabytes at 100,000 documents."""
    db = sqlite3.connect(path)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for rowid, title, text, section, domain in db.execute(
        "SELECT rowid, title, text, section, domain FROM docs ORDER BY rowid"
    ):
        yield IndexRecord(
            rowid,
            f"https://{domain}/a/{rowid}",
            title,
            text,
            section,
            domain,
            "ok",
            start + timedelta(minutes=rowid),
            None,
        )
    db.close()


def fts5_searcher(path: Path, with_counts: bool) -> Callable[[str], object]:
    db = sqlite3.connect(path, check_same_thread=False)
    top = (
        "SELECT rowid, title, snippet(docs, 1, '<mark>', '</mark>', '…', 24), "
        "bm25(docs, 3.0, 1.0, 0.0, 0.0) AS score FROM docs WHERE docs MATCH ? "
        "ORDER BY score LIMIT 10"
    )

    def search(q: str) -> object:
        match = " ".join(f'"{w}"' for w in q.split())
        rows = db.execute(top, (match,)).fetchall()
        if with_counts:
            total = db.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (match,)).fetchone()
            facets = db.execute(
                "SELECT section, count(*) FROM docs WHERE docs MATCH ? GROUP BY section", (match,)
            ).fetchall()
            domains = db.execute(
                "SELECT domain, count(*) FROM docs WHERE docs MATCH ? GROUP BY domain", (match,)
            ).fetchall()
            return rows, total, facets, domains
        return rows

    return search


def bench_writes(corpus: Corpus, folder: Path, n: int) -> None:
    """~8 KB articles through IndexWriter into an existing index, as the archiver does."""
    rng = random.Random(corpus.seed + 99)
    articles = []
    for i in range(n):
        text = corpus.article(rng, 1400)[:8000]
        articles.append(
            IndexRecord(
                10_000_000 + i,
                f"https://w.example/{i}",
                f"Article {i}",
                text,
                "Section 0",
                "w.example",
                "ok",
                datetime.now(UTC),
                None,
            )
        )
    idx = SearchIndex(folder)
    calls = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    with idx.writer(batch_size=200, commit_interval=2.0) as writer:
        for record in articles:
            t = time.perf_counter()
            writer.add(record)
            calls.append((time.perf_counter() - t) * 1000)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    with idx.writer() as writer:  # leave the index as built, for --reuse
        for record in articles:
            writer.delete(record.id)
    idx.close()
    print(f"\nIndexWriter, {n} articles of 8 KB into the existing index (batches of 200):")
    print(f"  add() call in the caller: {statistics.median(calls):.3f} ms median")
    print(f"  CPU per article (analysis + commits + merges): {cpu / n * 1000:.1f} ms")
    print(f"  wall time per article until the last commit: {wall / n * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200, help="per query length")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--writes", type=int, default=400, help="8 KB articles for add()")
    parser.add_argument("--dir", type=Path, help="work folder (kept); default: a temp folder")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the indexes already built in --dir"
    )
    args = parser.parse_args()
    with work_folder(args.dir, "lv-bench-") as work:
        measure(args, work)
    print(f"\n(cores: {os.cpu_count()}, python {sys.version.split()[0]})")


def measure(args: argparse.Namespace, work: Path) -> None:
    fts_path, ix_path = work / "fts5.sqlite", work / "index"
    corpus = Corpus(args.seed)
    print(f"{args.docs} documents, seed {args.seed}, work folder {work}")

    if args.reuse and fts_path.exists():
        print("fts5   reused")
    else:
        fts_path.unlink(missing_ok=True)
        fts_time, _count = build_fts5(fts_path, corpus.records(args.docs))
        print(f"fts5   build {fts_time:8.1f} s   size {fts_path.stat().st_size / 1e6:8.1f} MB")
    count = sqlite3.connect(fts_path).execute("SELECT count(*) FROM docs").fetchone()[0]
    idx = SearchIndex(ix_path, search_time_limit=30.0)
    if args.reuse and idx.doc_count() == count:
        print("whoosh reused")
    else:
        started = time.perf_counter()
        indexed = idx.rebuild(fts5_records(fts_path))
        whoosh_time = time.perf_counter() - started
        assert indexed == count
        print(f"whoosh build {whoosh_time:8.1f} s   size {idx.size_bytes() / 1e6:8.1f} MB")

    fts = fts5_searcher(fts_path, with_counts=False)
    fts_counts = fts5_searcher(fts_path, with_counts=True)

    def whoosh(q: str) -> object:
        return idx.search(SearchQuery(q))

    print("\nsearch latency, query -> 10 hits with snippets:")
    for words in (1, 2, 3):
        queries = corpus.queries(words, args.queries)
        totals = [idx.search(SearchQuery(q)).total for q in queries[:50]]
        print(f"{words}-word queries (median total {statistics.median(totals):.0f} matches):")
        for name, fn in (("whoosh", whoosh), ("fts5", fts), ("fts5+count", fts_counts)):
            print(f"  {name:10s} {percentiles(time_queries(fn, queries))}")
    idx.close()
    if args.writes:
        bench_writes(corpus, ix_path, args.writes)


if __name__ == "__main__":
    main()
