"""Review GUI fixtures: the same world as the case tests (real recorded segments, a temp database)."""

from tests.ui.cases.conftest import dark, recorded, world

__all__ = ["dark", "recorded", "world"]
