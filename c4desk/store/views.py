"""Saved wall views: a user's own views and the room's shared ones, over the ``saved_views`` table.

A wall view is a ``saved_views`` row whose ``layout`` JSON is ``ViewSpec.as_dict()`` (``"kind": "wall"``);
rows of other kinds (map extents, dock layouts saved by other features) are left alone. Names are unique
per owner. A user sees their own views and every shared one; only the owner changes or deletes a view.

Favourites (Ctrl+1..9) are a slot number kept in the view's JSON. A user's favourites are their own views
with a slot, and shared views with a slot that none of their own views takes; saving a view into a slot
takes the slot away from the owner's other views in the same transaction.
"""

from __future__ import annotations

import builtins
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from c4desk.domain.layouts import LayoutError, SavedView, ViewSpec
from c4desk.store.db import Database
from c4desk.store.models import SavedViewRow

__all__ = ["ViewNotFound", "ViewPermissionError", "ViewRepository"]


class ViewNotFound(LookupError):
    pass


class ViewPermissionError(PermissionError):
    """Someone tried to change or delete a view they do not own."""


def _is_wall(layout: dict[str, Any] | None) -> bool:
    return isinstance(layout, dict) and layout.get("kind") == "wall"


def _to_view(row: SavedViewRow) -> SavedView | None:
    try:
        spec = ViewSpec.from_dict(row.name, row.layout or {})
    except LayoutError:
        return None  # a damaged row must not hide every other view
    return SavedView(id=row.id, owner=row.owner, shared=row.shared, spec=spec, note=row.note)


class ViewRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def save(self, owner: str, spec: ViewSpec, *, shared: bool = False, note: str = "") -> SavedView:
        """Create or replace ``owner``'s view named ``spec.name``."""
        if not owner or len(owner) > 64:
            raise ValueError("a view needs an owner of 1-64 characters")
        with self._db.session(write=True) as session:
            row = session.scalars(select(SavedViewRow).where(
                SavedViewRow.owner == owner, SavedViewRow.name == spec.name)).one_or_none()
            if row is not None and not _is_wall(row.layout):
                raise ValueError(f"{owner!r} already has a view named {spec.name!r} of another kind")
            if spec.favourite is not None:
                self._free_slot(session, owner, spec.favourite, keep=row.id if row else None)
            if row is None:
                row = SavedViewRow(name=spec.name, owner=owner, shared=shared, layout=spec.as_dict(), note=note)
                session.add(row)
            else:
                row.shared, row.layout, row.note = shared, spec.as_dict(), note
            session.flush()
            view = _to_view(row)
        assert view is not None
        return view

    @staticmethod
    def _free_slot(session: Session, owner: str, slot: int, keep: int | None) -> None:
        for row in session.scalars(select(SavedViewRow).where(SavedViewRow.owner == owner)):
            if row.id != keep and _is_wall(row.layout) and row.layout.get("favourite") == slot:
                row.layout = {**row.layout, "favourite": None}

    def set_favourite(self, user: str, view_id: int, slot: int | None) -> SavedView:
        """Put one of ``user``'s own views into favourite slot 1..9 (None: out of the favourites)."""
        view = self.get(view_id)
        if view is None:
            raise ViewNotFound(view_id)
        if view.owner != user:
            raise ViewPermissionError(f"{user!r} does not own view {view.name!r}; save a copy first")
        return self.save(user, replace(view.spec, favourite=slot), shared=view.shared, note=view.note)

    def get(self, view_id: int) -> SavedView | None:
        with self._db.session() as session:
            row = session.get(SavedViewRow, view_id)
            return _to_view(row) if row is not None and _is_wall(row.layout) else None

    def find(self, owner: str, name: str) -> SavedView | None:
        with self._db.session() as session:
            row = session.scalars(select(SavedViewRow).where(
                SavedViewRow.owner == owner, SavedViewRow.name == name)).one_or_none()
            return _to_view(row) if row is not None and _is_wall(row.layout) else None

    def list_for(self, user: str) -> builtins.list[SavedView]:
        """``user``'s own views, then the views others share, each group by name."""
        query = (select(SavedViewRow).where((SavedViewRow.owner == user) | SavedViewRow.shared)
                 .order_by(SavedViewRow.name, SavedViewRow.owner))
        with self._db.session() as session:
            views = [v for v in (_to_view(r) for r in session.scalars(query) if _is_wall(r.layout)) if v]
        return [v for v in views if v.owner == user] + [v for v in views if v.owner != user]

    def favourites(self, user: str) -> dict[int, SavedView]:
        """Slot -> view for ``user``: their own views first, shared ones fill slots still free."""
        out: dict[int, SavedView] = {}
        for view in self.list_for(user):  # own views come first
            slot = view.spec.favourite
            if slot is not None and slot not in out:
                out[slot] = view
        return dict(sorted(out.items()))

    def delete(self, user: str, view_id: int) -> None:
        with self._db.session(write=True) as session:
            row = session.get(SavedViewRow, view_id)
            if row is None or not _is_wall(row.layout):
                raise ViewNotFound(view_id)
            if row.owner != user:
                raise ViewPermissionError(f"{user!r} does not own view {row.name!r}")
            session.delete(row)
