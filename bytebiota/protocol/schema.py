"""A small schema language for what a message's fields may hold beyond their encoding.

A rule checks one value (a decoded field, or a node inside a ``json`` field) and raises
RemoteProtocolError naming where it was and what was wrong; ``describe`` says what it allows
(docs/protocol.md is written from it). The rules:

    Int(lo, hi)            an integer (never a bool) in [lo, hi]
    Num(lo, hi)            a finite integer or float in [lo, hi]
    OneOf(values)          one of these integers
    Text(max, min, chars)  printable text (str.isprintable: no control or format characters,
                           no line breaks, no escape sequences), min..max characters, only
                           from the regex class ``chars`` when given
    Blob(min, max)         bytes of min..max length
    ListOf(item, max)      a list of at most max items, each by ``item`` (None: any)
    Row(a, b, ...)         a list of exactly these items: a, then b, ...
    MapOf(key, value, max) a JSON object of at most max entries, keys by ``key`` (a Text)
    Obj(fields, extra)     a JSON object with these keys, each optional; any other key is
                           refused unless ``extra`` (a rule for the values of other keys)
    AnyJson(depth)         any JSON value nested at most ``depth`` deep (0: a scalar)

Error messages show a value only through ``ascii()``, cut short: a hostile string cannot
forge a log line or a terminal escape where the error is printed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bytebiota.protocol.errors import RemoteProtocolError

PREVIEW = 40  # characters of an offending value shown in an error


def preview(value: Any) -> str:
    """``value`` for an error message: ASCII only (escapes shown as such), cut short."""
    text = ascii(value)
    return text if len(text) <= PREVIEW else text[: PREVIEW - 3] + "..."


def number(value: float) -> str:
    """A bound as the docs show it: powers of two as 2^k (and 2^k - 1), others plainly."""
    if isinstance(value, int) and value >= 2**16:
        for candidate, suffix in ((value, ""), (value + 1, " - 1")):
            if candidate & (candidate - 1) == 0:
                return f"2^{candidate.bit_length() - 1}{suffix}"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return f"{value:,}" if isinstance(value, int) else str(value)


class Rule:
    """One constraint; subclasses implement ``check`` and ``describe``."""

    def check(self, value: Any, where: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


def _fail(where: str, problem: str) -> RemoteProtocolError:
    """The error, in ASCII (the docs' … and ≤ spelled out): it goes to logs as it is."""
    text = f"{where}: {problem}".replace(" … ", " to ").replace("≤", "<=")
    return RemoteProtocolError(text)


@dataclass(frozen=True)
class Int(Rule):
    lo: int
    hi: int

    def check(self, value: Any, where: str) -> None:
        if type(value) is not int:
            raise _fail(where, f"an integer is expected, got {preview(value)}")
        if not self.lo <= value <= self.hi:
            raise _fail(where, f"{value} is outside {self.describe()}")

    def describe(self) -> str:
        return f"{number(self.lo)} … {number(self.hi)}"


@dataclass(frozen=True)
class Num(Rule):
    lo: float
    hi: float

    def check(self, value: Any, where: str) -> None:
        if type(value) not in (int, float):
            raise _fail(where, f"a number is expected, got {preview(value)}")
        if not math.isfinite(value) or not self.lo <= value <= self.hi:
            raise _fail(where, f"{preview(value)} is outside {self.describe()}")

    def describe(self) -> str:
        return f"{number(self.lo)} … {number(self.hi)}, finite"


@dataclass(frozen=True)
class OneOf(Rule):
    values: Mapping[int, str]

    def check(self, value: Any, where: str) -> None:
        if type(value) is not int or value not in self.values:
            raise _fail(where, f"{preview(value)} is not one of {self.describe()}")

    def describe(self) -> str:
        return ", ".join(f"{k} ({v})" for k, v in sorted(self.values.items()))


@dataclass(frozen=True)
class Text(Rule):
    max_len: int
    min_len: int = 0
    chars: str | None = None  # a regex character class's inside, e.g. "A-Za-z0-9._-"
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False,
                                            compare=False)

    def __post_init__(self) -> None:
        if self.chars is not None:
            object.__setattr__(self, "_pattern", re.compile(f"[{self.chars}]*"))

    def check(self, value: Any, where: str) -> None:
        if not isinstance(value, str):
            raise _fail(where, f"text is expected, got {preview(value)}")
        if not self.min_len <= len(value) <= self.max_len:
            raise _fail(where, f"{len(value)} characters, outside {self.min_len} … "
                               f"{self.max_len}")
        if self._pattern is not None:
            if self._pattern.fullmatch(value) is None:
                raise _fail(where, f"{preview(value)} has characters outside [{self.chars}]")
        elif not value.isprintable():
            raise _fail(where, f"{preview(value)} has unprintable characters")

    def describe(self) -> str:
        length = f"≤ {number(self.max_len)}" if self.min_len == 0 else \
            f"{number(self.min_len)} … {number(self.max_len)}"
        kind = f"of `[{self.chars}]`" if self.chars is not None else "printable"
        return f"{length} characters, {kind}"


@dataclass(frozen=True)
class Blob(Rule):
    min_len: int
    max_len: int

    def check(self, value: Any, where: str) -> None:
        if not isinstance(value, bytes | bytearray):
            raise _fail(where, f"bytes are expected, got {preview(value)}")
        if not self.min_len <= len(value) <= self.max_len:
            raise _fail(where, f"{len(value)} bytes, outside {self.describe()}")

    def describe(self) -> str:
        if self.min_len == self.max_len:
            return f"exactly {number(self.max_len)} bytes"
        return f"{number(self.min_len)} … {number(self.max_len)} bytes"


@dataclass(frozen=True)
class ListOf(Rule):
    item: Rule | None
    max_items: int

    def check(self, value: Any, where: str) -> None:
        if not isinstance(value, list):
            raise _fail(where, f"a list is expected, got {preview(value)}")
        if len(value) > self.max_items:
            raise _fail(where, f"{len(value)} items, more than {number(self.max_items)}")
        if self.item is not None:
            for k, item in enumerate(value):
                self.item.check(item, f"{where}[{k}]")

    def describe(self) -> str:
        each = f", each {self.item.describe()}" if self.item is not None else ""
        return f"≤ {number(self.max_items)} items{each}"


class Row(Rule):
    """A list of exactly as many items as rules, each by its rule, in order."""

    def __init__(self, *items: Rule) -> None:
        self.items = items

    def check(self, value: Any, where: str) -> None:
        if not isinstance(value, list) or len(value) != len(self.items):
            raise _fail(where, f"a list of {len(self.items)} items is expected, got "
                        f"{preview(value)}")
        for k, (rule, item) in enumerate(zip(self.items, value, strict=True)):
            rule.check(item, f"{where}[{k}]")

    def describe(self) -> str:
        return "[" + "; ".join(rule.describe() for rule in self.items) + "]"


@dataclass(frozen=True)
class MapOf(Rule):
    key: Text
    value: Rule
    max_items: int

    def check(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise _fail(where, f"an object is expected, got {preview(value)}")
        if len(value) > self.max_items:
            raise _fail(where, f"{len(value)} entries, more than {number(self.max_items)}")
        for key, item in value.items():
            self.key.check(key, f"{where} key")
            self.value.check(item, f"{where}[{preview(key)}]")

    def describe(self) -> str:
        return (f"an object of ≤ {number(self.max_items)} entries, keys {self.key.describe()}, "
                f"values {self.value.describe()}")


@dataclass(frozen=True)
class Obj(Rule):
    fields: Mapping[str, Rule]
    extra: Rule | None = None  # values of keys not in ``fields``; None: such keys refused

    def check(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise _fail(where, f"an object is expected, got {preview(value)}")
        for key, item in value.items():
            rule = self.fields.get(key, self.extra)
            if rule is None:
                raise _fail(where, f"unknown key {preview(key)}")
            rule.check(item, f"{where}.{key}" if key in self.fields
                       else f"{where}[{preview(key)}]")

    def describe(self) -> str:
        known = "; ".join(f"`{k}`: {r.describe()}" for k, r in self.fields.items())
        other = "no other key" if self.extra is None else \
            f"other keys: {self.extra.describe()}"
        return f"an object ({known}; {other})" if known else f"an object ({other})"


@dataclass(frozen=True)
class AnyJson(Rule):
    depth: int

    def check(self, value: Any, where: str) -> None:
        stack: list[tuple[Any, int]] = [(value, 0)]
        while stack:
            node, level = stack.pop()
            if isinstance(node, dict | list):
                if level >= self.depth:
                    raise _fail(where, f"nested more than {self.depth} deep")
                children = node.values() if isinstance(node, dict) else node
                stack.extend((child, level + 1) for child in children)
            elif isinstance(node, float) and not math.isfinite(node):
                raise _fail(where, "not a finite number")

    def describe(self) -> str:
        return "a scalar" if self.depth == 0 else f"any JSON nested ≤ {self.depth} deep"
