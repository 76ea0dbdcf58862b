"""The database: the source of truth for links, snapshots and checks.

`Store` owns the engine and hands out its parts, each with one job: `links` (import, what to
fetch, recording results: archiver/links.py), `runs` (runs and status reports:
archiver/runs.py), `index_bookkeeping` (archiver/index_bookkeeping.py), `images` (the
archived figures: archiver/images.py), `curation` (edits and removals by the owner:
archiver/curation.py), `accounts` (the owner's password, API tokens, sign-in failures:
archiver/accounts.py) and `lists` (followed reading lists and which links each lists:
archiver/lists.py).
"""

from __future__ import annotations

from sqlalchemy import Engine

from archiver._engine import Database
from archiver.accounts import Accounts
from archiver.curation import Curation
from archiver.images import ImageStore
from archiver.imported import ImportedCopies
from archiver.index_bookkeeping import IndexBookkeeping
from archiver.links import Links
from archiver.lists import Lists
from archiver.rot import RotPolicy
from archiver.runs import Runs
from archiver.schema import ensure_current

__all__ = ["Store"]


class Store(Database):
    """The engine, the schema, short transactions (`session()`), and the parts that read and
    write through them."""

    def __init__(self, engine: Engine, rot: RotPolicy | None = None) -> None:
        super().__init__(engine)
        self.links = Links(engine, rot)
        self.runs = Runs(engine)
        self.index_bookkeeping = IndexBookkeeping(engine)
        self.images = ImageStore(engine)
        self.accounts = Accounts(engine)
        self.curation = Curation(engine)
        self.imported = ImportedCopies(engine)
        self.lists = Lists(engine)

    @property
    def rot(self) -> RotPolicy:
        """When failures make a link dead, and when to retry it. The links part applies it
        (it records the failures); the refresh schedule reads it from here."""
        return self.links.rot

    @rot.setter
    def rot(self, policy: RotPolicy) -> None:
        self.links.rot = policy

    def create_schema(self) -> None:
        """Creates the schema in an empty database; refuses an out-of-date one (see
        archiver/schema.py)."""
        ensure_current(self.engine)
