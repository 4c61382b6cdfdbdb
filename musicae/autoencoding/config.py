"""Dataclass configs: typed and checked fields, JSON round trip, CLI flags from field docstrings, registries."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import math
import textwrap
import typing
from functools import cache
from typing import Any, Literal  # noqa: F401  (Literal is re-exported for the configs)


class ConfigError(ValueError):
    """A config value that cannot work; the message names the flag and the reason, on one line."""


def flag_name(field: str) -> str:
    return "--" + field.replace("_", "-")


@cache
def field_docs(cls: type) -> dict[str, str]:
    """The docstring written under each dataclass field (litgpt style), by field name."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError):
            continue
        body = tree.body[0].body
        for node, nxt in zip(body, body[1:]):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and isinstance(nxt, ast.Expr)
                and isinstance(nxt.value, ast.Constant)
                and isinstance(nxt.value.value, str)
            ):
                docs[node.target.id] = " ".join(nxt.value.value.split())
    return docs


@cache
def _type_hints(cls: type) -> dict:
    """typing.get_type_hints, once per class: it re-evaluates every annotation each call (0.9 s for the
    registered configs at every start of the command line, uncached)."""
    return typing.get_type_hints(cls)


def _field_type(cls: type, name: str):
    """A field's type with Optional[...] unwrapped."""
    kind = _type_hints(cls)[name]
    origin = typing.get_origin(kind)
    if origin is typing.Union or str(origin) == "types.UnionType":
        kind = next(a for a in typing.get_args(kind) if a is not type(None))
    return kind


def choices_of(cls: type, name: str) -> tuple | None:
    """The allowed values of a Literal[...] field, else None."""
    kind = _field_type(cls, name)
    return typing.get_args(kind) if typing.get_origin(kind) is Literal else None


def check_config(config: Any) -> None:
    """Every Literal field holds one of its values; every number is finite. Raises ConfigError."""
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        allowed = choices_of(type(config), f.name)
        if allowed is not None and value not in allowed:
            raise ConfigError(f"{flag_name(f.name)} {value!r}: choose from {', '.join(map(str, allowed))}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{flag_name(f.name)} {value}: must be a finite number")


def require(condition: bool, field: str, value: Any, why: str) -> None:
    """Raise a one-line ConfigError naming the flag when `condition` is false."""
    if not condition:
        raise ConfigError(f"{flag_name(field)} {value}: {why}")


class CheckedConfig:
    """Mixin for config dataclasses: checks Literal choices and finiteness at construction, then `check()`."""

    def __post_init__(self) -> None:
        check_config(self)
        self.check()

    def check(self) -> None:
        """Range checks of a config; override."""


def add_dataclass_arguments(parser, cls: type, skip: tuple[str, ...] = (), default_note: str = "") -> None:
    """One `--field-name` flag per dataclass field, defaulting to None (= keep the config's value).

    Literal fields get argparse choices. `default_note` tells where the defaults come from (a named
    config, say) and is put before the dataclass default in the help.
    """
    docs = field_docs(cls)
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        kind = _field_type(cls, f.name)
        flag = flag_name(f.name)
        default = f.default if f.default is not dataclasses.MISSING else None
        help_text = f"{docs.get(f.name, '')} (default: {default_note}{default})".replace("%", "%%")
        allowed = choices_of(cls, f.name)
        if allowed is not None:
            parser.add_argument(flag, dest=f.name, type=type(allowed[0]), choices=allowed, default=None, help=help_text)
        elif kind is bool:
            parser.add_argument(flag, dest=f.name, default=None, action=argparse.BooleanOptionalAction, help=help_text)
        elif kind in (int, float, str):
            parser.add_argument(flag, dest=f.name, type=kind, default=None, help=help_text)


def override(config: Any, args: argparse.Namespace | dict) -> Any:
    """A copy of `config` with every non-None matching value from args."""
    values = vars(args) if isinstance(args, argparse.Namespace) else args
    names = {f.name for f in dataclasses.fields(config)}
    changes = {k: v for k, v in values.items() if k in names and v is not None}
    return dataclasses.replace(config, **changes)


def to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def from_dict(cls: type, values: dict[str, Any]) -> Any:
    """Build `cls` from JSON values, ignoring unknown keys so that old checkpoints still load."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in names})


class Registry:
    """Name -> object, with a clear error listing the known names."""

    def __init__(self, what: str):
        self.what = what
        self._items: dict[str, Any] = {}

    def register(self, name: str, item: Any = None):
        if item is None:
            def decorator(obj):
                self._items[name] = obj
                return obj
            return decorator
        self._items[name] = item
        return item

    def __getitem__(self, name: str) -> Any:
        try:
            return self._items[name]
        except KeyError:
            raise KeyError(f"unknown {self.what} {name!r}; known: {', '.join(sorted(self._items))}") from None

    def __contains__(self, name: str) -> bool:
        return name in self._items

    def names(self) -> list[str]:
        return list(self._items)

    def items(self) -> list[tuple[str, Any]]:
        return list(self._items.items())
