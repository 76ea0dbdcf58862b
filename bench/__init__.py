"""Benchmarks of linkvault (measured by hand, never asserted in tests), run from the
repository root as modules:

    .venv/bin/python -m bench.search_index --docs 10000     # Whoosh against FTS5, in process
    .venv/bin/python -m bench.search --docs 10000            # both backends and FTS5 under load
    .venv/bin/python -m bench.archive --pages 2000           # archiving throughput
    .venv/bin/python -m bench.refresh --pages 2000           # 304 refresh against archiving
    .venv/bin/python -m bench.soak --docs 3000               # search load during a refresh
    .venv/bin/python -m bench.extract_eval                   # extraction configurations
    .venv/bin/python -m bench.relevance --docs 2000          # top-1 and MRR of both backends

bench.postgres (a throwaway PostgreSQL cluster) is public: the tests use it too.
"""
