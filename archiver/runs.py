"""Runs and status reports: each archive run's start, end and counts, and what `linkvault
status` and the end-of-run report read (links per status, problem links, the last run)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from archiver._engine import Database
from archiver.models import Link, LinkStatus, Run, utcnow

__all__ = ["Runs"]


class Runs(Database):
    """Records runs and answers the status questions about the whole collection."""

    def start_run(self, kind: str) -> int:
        with self.session() as session:
            run = Run(kind=kind)
            session.add(run)
            session.flush()
            return run.id

    def finish_run(self, run_id: int, counts: dict[str, int]) -> None:
        with self.session() as session:
            run = session.get_one(Run, run_id)
            run.finished_at = utcnow()
            run.counts = counts

    def status_counts(self) -> dict[str, int]:
        with self.session() as session:
            rows = session.execute(select(Link.status, func.count()).group_by(Link.status)).all()
        counts = {status.value: 0 for status in LinkStatus}
        counts.update({status: count for status, count in rows})
        return counts

    def links_with_status(self, status: LinkStatus, limit: int = 100) -> list[Link]:
        with self.session() as session:
            query = select(Link).where(Link.status == status).order_by(Link.id).limit(limit)
            return list(session.scalars(query))

    def unreachable_links(self, limit: int = 100) -> list[Link]:
        """Links not dead whose death signal awaits confirmation (archiver/rot.py)."""
        with self.session() as session:
            query = (
                select(Link)
                .where(Link.unreachable_since.is_not(None), Link.status != LinkStatus.DEAD)
                .order_by(Link.unreachable_since.desc(), Link.id)
                .limit(limit)
            )
            return list(session.scalars(query))

    def problem_links(self, link_ids: Sequence[int], limit: int = 200) -> list[Link]:
        """Links among these that are not archived, for the end-of-run report."""
        bad = [s for s in LinkStatus if s not in (LinkStatus.OK, LinkStatus.PENDING)]
        found: list[Link] = []
        with self.session() as session:
            for start in range(0, len(link_ids), 500):
                chunk = list(link_ids[start : start + 500])
                query = select(Link).where(Link.id.in_(chunk), Link.status.in_(bad))
                found.extend(session.scalars(query.order_by(Link.id)))
        return found[:limit]

    def last_run(self) -> Run | None:
        with self.session() as session:
            return session.scalars(select(Run).order_by(Run.id.desc()).limit(1)).first()
