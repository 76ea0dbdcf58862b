"""GET /api/lists: the followed reading lists (`linkvault follow`) and their link counts."""

from __future__ import annotations

from fastapi import APIRouter

from app.http.api.schemas import FollowedListItem, FollowedLists
from app.http.deps import VaultDep
from app.services.following import followed_lists

router = APIRouter(tags=["lists"])


@router.get("/api/lists", response_model=FollowedLists, summary="The followed reading lists")
def lists(vault: VaultDep) -> FollowedLists:
    return FollowedLists(
        lists=[
            FollowedListItem(
                id=state.id,
                url=state.url,
                fetch_url=state.fetch_url,
                section_prefix=state.section_prefix,
                followed_at=state.followed_at,
                read_at=state.read_at,
                status=state.status,
                error=state.error,
                listed=state.listed,
                no_longer_listed=state.no_longer_listed,
            )
            for state in followed_lists(vault)
        ]
    )
