"""One registry class for every kind of plugin the portal has: procedure
handlers (``procedures.handlers.registry``) and delivery channels to other
agencies (``interconnect.channels``).

A plugin is registered under a unique name when its module is imported. The
modules a registry knows are imported the first time it is asked, or when its
app starts (``load()``): the ``packages`` it names, and every module and
sub-package of the package it ``discover``s, so a new plugin is a new module
(or folder) and nothing else. A second plugin under a name that is taken is a
configuration error (``ImproperlyConfigured``), never a silent replacement;
registering the same class again (a module imported twice) is no error.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Iterator
from importlib import import_module
from typing import Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")


class Registry(Generic[T]):
    """Named plugins of one kind. ``packages``: modules that register them
    when imported; ``discover``: a package each of whose modules and
    sub-packages (those not starting with "_") registers them when imported.
    Both are loaded lazily, once."""

    def __init__(self, kind: str, packages: tuple[str, ...] = (), *, discover: str = "") -> None:
        self.kind = kind
        self.packages = packages
        self.discover = discover
        self._items: dict[str, T] = {}
        self._loaded = False

    def register(self, name: str, item: T) -> T:
        if not name:
            raise ImproperlyConfigured(f"A {self.kind} needs a name: {item!r}")
        existing = self._items.get(name)
        if existing is not None and type(existing) is not type(item):
            raise ImproperlyConfigured(
                f"Two {self.kind}s are named {name!r}: {type(existing).__qualname__} "
                f"and {type(item).__qualname__}"
            )
        self._items[name] = item
        return item

    def register_class(self, cls: type[T]) -> type[T]:
        """Class decorator: register an instance of ``cls`` under ``cls.name``."""
        self.register(getattr(cls, "name", ""), cls())
        return cls

    def unregister(self, name: str) -> None:
        """Remove a plugin (for tests that register one of their own)."""
        self._items.pop(name, None)

    def modules(self) -> list[str]:
        """The modules that register this registry's plugins."""
        found = list(self.packages)
        if self.discover:
            package = import_module(self.discover)
            found += [
                f"{self.discover}.{info.name}"
                for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name)
                if not info.name.startswith("_")
            ]
        return found

    def load(self) -> None:
        if not self._loaded:
            for module in self.modules():
                import_module(module)
            self._loaded = True

    def get(self, name: str) -> T:
        self.load()
        try:
            return self._items[name]
        except KeyError as exc:
            raise LookupError(f"No {self.kind} named {name!r}") from exc

    def names(self) -> list[str]:
        self.load()
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        self.load()
        return name in self._items

    def __iter__(self) -> Iterator[T]:
        self.load()
        return iter([self._items[n] for n in sorted(self._items)])
