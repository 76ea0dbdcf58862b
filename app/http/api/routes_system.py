"""GET /api/stats and GET /healthz."""

from __future__ import annotations

import logging

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse
from sqlalchemy import select, text

from app.http.api.schemas import DeadLink, Health, LastRun, QueueState, Stats, UnreachableLink
from app.http.deps import IndexDep, SessionDep, VaultDep
from app.services.queries import dead_links, status_counts, unreachable_links
from archiver.models import Run
from archiver.queue import queue_counts

log = logging.getLogger("linkvault.health")

router = APIRouter(tags=["system"])


@router.get("/api/stats", response_model=Stats, summary="What the archive holds")
def stats(session: SessionDep, index: IndexDep) -> Stats:
    counts = status_counts(session)
    queue = queue_counts(session.get_bind().engine)
    run = session.scalars(select(Run).order_by(Run.id.desc()).limit(1)).first()
    return Stats(
        links=sum(counts.values()),
        counts=counts,
        documents_indexed=index.doc_count(),
        index_size_bytes=index.size_bytes(),
        dead=[
            DeadLink(id=link.id, url=link.url, error=link.error, since=link.dead_since)
            for link in dead_links(session)
        ],
        unreachable=[
            UnreachableLink(
                id=link.id,
                url=link.url,
                reason=link.unreachable_reason,
                since=link.unreachable_since,
            )
            for link in unreachable_links(session)
        ],
        last_run=None
        if run is None
        else LastRun(
            kind=run.kind,
            started_at=run.started_at,
            finished_at=run.finished_at,
            counts=run.counts or {},
        ),
        queue=QueueState(queued=queue.queued, leased=queue.leased, expired=queue.expired),
    )


@router.get(
    "/healthz",
    response_model=Health,
    response_model_exclude_none=True,
    responses={503: {"model": Health, "description": "The database or the index does not answer."}},
    summary="Liveness: the database and the index answer",
)
def healthz(vault: VaultDep) -> Health | JSONResponse:
    # No SessionDep here: a broken database must give a 503, not fail inside a dependency.
    try:
        with vault.store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("health check: database does not answer: %s", exc)
        return _unavailable("database does not answer")
    try:
        vault.index.doc_count()
    except Exception as exc:
        log.warning("health check: index does not answer: %s", exc)
        return _unavailable("index does not answer")
    return Health(status="ok")


# Uptime monitors often ask with HEAD; one operation in the schema is enough.
router.add_api_route(
    "/healthz",
    healthz,
    methods=["HEAD"],
    response_model=Health,
    response_model_exclude_none=True,
    include_in_schema=False,
)


def _unavailable(detail: str) -> JSONResponse:
    body = Health(status="unavailable", detail=detail).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
