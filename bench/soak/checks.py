"""After the load: what search finds matches what the pages now say."""

from __future__ import annotations

import random

from bench.soak.linkvault import api_get, search_total
from bench.soak.pages import SoakPages


def check_content(port: int, pages: SoakPages, probes: int, seed: int) -> list[str]:
    """Changed pages are found by their new words and not their old ones; unchanged pages
    still by theirs. Returns the failures."""
    failures: list[str] = []
    version = pages.version
    changed = set(pages.changed)
    total = search_total(port, f"revised{version}")
    print(f"  revised{version}: {total} pages (expected {len(changed)})")
    if total != len(changed):
        failures.append(f"revised{version} finds {total} pages, not {len(changed)}")
    rng = random.Random(seed)
    unchanged = [n for n in range(len(pages.bodies)) if n not in changed]
    for n in rng.sample(sorted(changed), min(probes, len(changed))):
        status, body = api_get(port, f"/api/search?q=revmark{version}n{n}")
        urls = [hit["url"] for hit in body["results"]] if status == 200 else []
        if urls != [pages.url(n)]:
            failures.append(f"revmark{version}n{n} -> {status} {urls}, not [{pages.url(n)}]")
        if (old := search_total(port, f"origmark{n}")) != 0:
            failures.append(f"origmark{n} (replaced) still finds {old} pages")
    for n in rng.sample(unchanged, min(probes, len(unchanged))):
        if (found := search_total(port, f"origmark{n}")) != 1:
            failures.append(f"origmark{n} (unchanged page) finds {found} pages, not 1")
    print(
        f"  {min(probes, len(changed))} changed pages probed by their new and old marker, "
        f"{min(probes, len(unchanged))} unchanged by theirs: {len(failures)} failures"
    )
    return failures
