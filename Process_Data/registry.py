"""Name -> class registries, one per kind of component (model, pooling, loss, feature, ...).

A config names a component (``model: ecapa_tdnn``); the registry turns the name into the
class, checks that it derives from the kind's base class, and lists the valid names when a
name is wrong.

Example:
    >>> class Base: pass
    >>> POOLING = Registry("pooling", Base)
    >>> @POOLING.register("mean")
    ... class Mean(Base):
    ...     def __init__(self, dim=1):
    ...         self.dim = dim
    >>> POOLING.build("mean", dim=2).dim
    2
    >>> POOLING.get("max")
    Traceback (most recent call last):
    ...
    KeyError: "unknown pooling 'max'; valid names: mean"
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, Optional


class Registry:
    """A mapping from names to subclasses of ``base``.

    Args:
        kind: what the registry holds, used in error messages ("model", "loss").
        base: every registered class must be a subclass of it (None: anything callable).
    """

    def __init__(self, kind: str, base: Optional[type] = None):
        self.kind = kind
        self.base = base
        self._entries: Dict[str, Any] = {}

    def register(self, name: str) -> Callable[[Any], Any]:
        """Class decorator adding the class under ``name``; names are unique."""

        def add(obj: Any) -> Any:
            if name in self._entries:
                raise ValueError(f"{self.kind} '{name}' is registered twice")
            if self.base is not None and not (
                isinstance(obj, type) and issubclass(obj, self.base)
            ):
                raise TypeError(
                    f"{self.kind} '{name}': {obj!r} is not a subclass of {self.base.__name__}"
                )
            self._entries[name] = obj
            return obj

        return add

    def get(self, name: str) -> Any:
        """The class registered under ``name``; KeyError listing valid names otherwise."""
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(
                f"unknown {self.kind} '{name}'; valid names: {', '.join(self.names())}"
            ) from None

    def build(self, name: str, **kwargs: Any) -> Any:
        """Instantiate the class registered under ``name`` with ``kwargs``."""
        return self.get(name)(**kwargs)

    def names(self) -> list:
        """Sorted registered names."""
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> Iterator[tuple]:
        """(name, class) pairs in name order."""
        return ((n, self._entries[n]) for n in self.names())

