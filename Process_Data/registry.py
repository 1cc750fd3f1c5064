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
    >>> try:
    ...     POOLING.build("mean", dimm=2)
    ... except RegistryError as e:
    ...     print(e)
    unknown pooling_conf key 'dimm' for pooling 'mean'; valid keys: dim
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional


class RegistryError(ValueError):
    """A component's arguments do not fit it; the message names the key and the valid ones."""


def _forwards_to_super(init: Callable, var_kw: str) -> bool:
    """True when ``init`` hands its ``**var_kw`` on to a base ``__init__``.

    Either ``super().__init__(..., **var_kw)`` or ``Base.__init__(self, **{..., **var_kw})``.
    """
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
    except (OSError, TypeError, SyntaxError):
        return False
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "__init__"
        ):
            for k in node.keywords:
                if k.arg is None and any(
                    isinstance(n, ast.Name) and n.id == var_kw for n in ast.walk(k.value)
                ):
                    return True
    return False


def accepted_keywords(obj: Any, positional: int = 0) -> Optional[List[str]]:
    """The keyword arguments ``obj(...)`` accepts, or None when it accepts any.

    For a class, its ``__init__``; when that takes ``**kw`` and hands it to
    ``super().__init__``, the base class's keywords count too (up the MRO). A ``**kw``
    that is not handed on (or whose use cannot be read) accepts anything.

    Args:
        obj: a class or other callable.
        positional: how many leading parameters the caller fills positionally.

    Example:
        >>> class A:
        ...     def __init__(self, x=1, y=2): pass
        >>> class B(A):
        ...     def __init__(self, z=3, **kw): super().__init__(**kw)
        >>> accepted_keywords(B)
        ['z', 'x', 'y']
    """
    funcs = (
        [k.__dict__["__init__"] for k in obj.__mro__ if "__init__" in k.__dict__]
        if isinstance(obj, type) else [obj]
    )
    keys: List[str] = []
    skip = positional
    for func in funcs:
        if func is object.__init__:
            return keys
        try:
            params = list(inspect.signature(func).parameters.values())
        except (TypeError, ValueError):
            return None
        if isinstance(obj, type):
            params = params[1:]  # self
        var_kw = None
        for p in params:
            if p.kind is p.VAR_KEYWORD:
                var_kw = p.name
            elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
                if skip and p.kind is p.POSITIONAL_OR_KEYWORD:
                    skip -= 1
                elif p.name not in keys:
                    keys.append(p.name)
            elif p.kind is p.POSITIONAL_ONLY and skip:
                skip -= 1
        if var_kw is None:
            return keys
        if not _forwards_to_super(func, var_kw):
            return None
        skip = 0  # the base class gets keywords only
    return keys


class Registry:
    """A mapping from names to subclasses of ``base``.

    Args:
        kind: what the registry holds, used in error messages ("model", "loss").
        base: every registered class must be a subclass of it (None: anything callable).
        conf_key: the config section holding a component's arguments, named in errors
            (default ``<kind>_conf``).
    """

    def __init__(self, kind: str, base: Optional[type] = None, conf_key: Optional[str] = None):
        self.kind = kind
        self.base = base
        self.conf_key = conf_key or f"{kind.replace(' ', '_')}_conf"
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

    def check_kwargs(self, name: str, kwargs: Mapping[str, Any], positional: int = 0) -> None:
        """Raise :class:`RegistryError` when ``kwargs`` has a key ``name``'s class does not take.

        Args:
            name: a registered name (KeyError listing the names otherwise).
            kwargs: the keyword arguments (usually a config's ``<kind>_conf``).
            positional: leading parameters the caller passes positionally.

        Raises:
            RegistryError: ``unknown <conf_key> key 'x' for <kind> '<name>'; valid keys: ...``.
        """
        valid = accepted_keywords(self.get(name), positional)
        if valid is None:
            return
        unknown = [k for k in kwargs if k not in valid]
        if unknown:
            keys = ", ".join(repr(k) for k in unknown)
            raise RegistryError(
                f"unknown {self.conf_key} key{'s' if len(unknown) > 1 else ''} {keys} for "
                f"{self.kind} '{name}'; valid keys: {', '.join(sorted(valid)) or '(none)'}"
            )

    def build(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Instantiate the class registered under ``name`` with ``args`` and ``kwargs``.

        Keyword arguments are checked first (:meth:`check_kwargs`), so a misspelt config key
        is a one-line :class:`RegistryError` naming the key and the valid ones instead of a
        TypeError from deep inside the constructor.
        """
        self.check_kwargs(name, kwargs, positional=len(args))
        return self.get(name)(*args, **kwargs)

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

