"""A small generic plugin registry with lazy entry points.

Built-in graders and sandbox backends register exactly as a third-party
package would: through a decorator at import time, or through an entry point
in the ``harness.graders`` / ``harness.sandboxes`` groups, loaded on first use.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from importlib.metadata import EntryPoint, entry_points
from typing import Generic, TypeVar

from harness.errors import RegistryError

T = TypeVar("T")


class Registry(Generic[T]):
    """Name -> plugin mapping, filled by decorators and entry points."""

    def __init__(self, kind: str, entry_point_group: str) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._items: dict[str, T] = {}
        self._origins: dict[str, str] = {}
        self._entry_points_loaded = False
        self._entry_point_errors: dict[str, str] = {}

    def register(self, name: str, item: T, origin: str | None = None) -> T:
        """Register ``item`` under ``name``.

        Raises:
            RegistryError: if a *different* object already uses the name.
        """
        existing = self._items.get(name)
        if existing is not None and existing is not item:
            if getattr(existing, "__qualname__", None) == getattr(
                item, "__qualname__", object()
            ) and (getattr(existing, "__module__", None) == getattr(item, "__module__", object())):
                # The same definition imported twice (e.g. module reloaded): keep the newest.
                self._items[name] = item
                return item
            raise RegistryError(
                f"{self.kind} {name!r} is registered twice: by {self._origins.get(name)} "
                f"and by {origin or _origin_of(item)}",
                hint=f"Rename one of the two {self.kind}s; names must be unique.",
            )
        self._items[name] = item
        self._origins[name] = origin or _origin_of(item)
        return item

    def decorator(self, name: str) -> Callable[[T], T]:
        """Return a decorator that registers its target under ``name``."""

        def wrap(item: T) -> T:
            return self.register(name, item)

        return wrap

    def get(self, name: str) -> T:
        """Look up a plugin by name, loading entry points if needed.

        Raises:
            RegistryError: for unknown names, with "did you mean" and an install hint.
        """
        if name not in self._items:
            self._load_entry_points()
        if name in self._items:
            return self._items[name]
        if name in self._entry_point_errors:
            raise RegistryError(
                f"{self.kind} {name!r} failed to load: {self._entry_point_errors[name]}",
                hint=f"Fix or reinstall the package that provides the {name!r} entry point "
                f"in group {self.entry_point_group!r}.",
            )
        close = difflib.get_close_matches(name, self.names(), n=1)
        suggestion = f" Did you mean {close[0]!r}?" if close else ""
        raise RegistryError(
            f"unknown {self.kind} {name!r}.{suggestion}",
            hint=f"Known {self.kind}s: {', '.join(self.names()) or 'none'}. A third-party "
            f"{self.kind} must be installed (pip install ...) and declare an entry point in "
            f"group {self.entry_point_group!r}.",
        )

    def reload_entry_points(self) -> None:
        """Look at installed entry points again (e.g. after a plugin package was installed)."""
        self._entry_points_loaded = False
        self._entry_point_errors.clear()

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __contains__(self, name: object) -> bool:
        self._load_entry_points()
        return name in self._items

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for entry_point in entry_points(group=self.entry_point_group):
            if entry_point.name in self._items:
                continue
            self._load_one(entry_point)

    def _load_one(self, entry_point: EntryPoint) -> None:
        try:
            loaded = entry_point.load()
        except Exception as error:  # a broken plugin must not break the others
            self._entry_point_errors[entry_point.name] = f"{type(error).__name__}: {error}"
            return
        # Importing the module usually registers it through the decorator already.
        if entry_point.name not in self._items:
            self.register(entry_point.name, loaded, origin=f"entry point {entry_point.value}")


def _origin_of(item: object) -> str:
    module = getattr(item, "__module__", "?")
    name = getattr(item, "__qualname__", repr(item))
    return f"{module}.{name}"
