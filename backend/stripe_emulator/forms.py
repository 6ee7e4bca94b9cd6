"""Stripe's form encoding: `a[b][0][c]=v` bodies and query strings parsed into nested dicts, and typed reads.

Lists arrive as `x[0]=…&x[1]=…` (what stripe-python sends) or `x[]=…`; the parser keeps them as dicts keyed
by index and `Params.list` orders them, because only the endpoint knows whether `metadata[0]` is a list
item or a key. Errors are worded like Stripe's so that a bad request fails here as it would there.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from backend.stripe_emulator.errors import invalid, missing_param, unknown_param

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")
Tree = dict[str, Any]


def parse(encoded: str) -> Tree:
    """`metadata[a]=1&expand[0]=x` → {"metadata": {"a": "1"}, "expand": {"0": "x"}}."""
    tree: Tree = {}
    for key, value in parse_qsl(encoded, keep_blank_values=True):
        match = _KEY.match(key)
        if match is None:
            raise invalid(f"Invalid parameter name: {key}")
        path = [match.group(1), *_PART.findall(match.group(2))]
        node = tree
        for depth, part in enumerate(path[:-1]):
            if part == "":  # `x[][y]`: Stripe reads an empty index as "the next item"
                part = str(len(node))
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise invalid(f"Invalid hash: {_name(path[:depth + 1])}", param=_name(path[:depth + 1]))
            node = child
        last = path[-1] if path[-1] != "" else str(len(node))
        if isinstance(node.get(last), dict):
            raise invalid(f"Invalid string: {_name(path)}", param=_name(path))
        node[last] = value
    return tree


def _name(path: list[str]) -> str:
    return path[0] + "".join(f"[{part}]" for part in path[1:])


class Params:
    """Typed, Stripe-worded reads of one level of a parsed form; `prefix` names nested params in errors."""

    def __init__(self, tree: Tree, prefix: str = "") -> None:
        self.tree = tree
        self.prefix = prefix

    def name(self, key: str) -> str:
        return f"{self.prefix}[{key}]" if self.prefix else key

    def reject_unknown(self, allowed: Iterable[str]) -> None:
        allowed = set(allowed) | ({"expand"} if not self.prefix else set())
        for key in self.tree:
            if key not in allowed:
                raise unknown_param(self.name(key))

    def _scalar(self, key: str, required: bool) -> str | None:
        value = self.tree.get(key)
        if isinstance(value, dict):
            raise invalid(f"Invalid string: {self.name(key)}", param=self.name(key))
        if value is None or value == "":  # Stripe reads an empty value as "not given"
            if required:
                raise missing_param(self.name(key))
            return None
        return value

    def str(self, key: str, *, required: bool = False, max_length: int = 5000,
            choices: tuple[str, ...] | None = None) -> str | None:
        value = self._scalar(key, required)
        if value is None:
            return None
        if len(value) > max_length:
            raise invalid(f"Invalid string: {value[:20]}...; must be at most {max_length} characters",
                          param=self.name(key))
        if choices is not None and value not in choices:
            listed = ", ".join(choices[:-1]) + f", or {choices[-1]}" if len(choices) > 1 else choices[0]
            raise invalid(f"Invalid {key}: must be one of {listed}", param=self.name(key))
        return value

    def int(self, key: str, *, required: bool = False, minimum: int | None = None) -> int | None:
        value = self._scalar(key, required)
        if value is None:
            return None
        if not re.fullmatch(r"-?\d+", value):
            raise invalid(f"Invalid integer: {value}", code="parameter_invalid_integer", param=self.name(key))
        number = int(value)
        if minimum is not None and number < minimum:
            raise invalid(f"This value must be greater than or equal to {minimum}.",
                          code="parameter_invalid_integer", param=self.name(key))
        return number

    def bool(self, key: str) -> bool | None:
        value = self._scalar(key, False)
        if value is None:
            return None
        if value not in ("true", "false"):
            raise invalid(f"Invalid boolean: {value}", param=self.name(key))
        return value == "true"

    def sub(self, key: str, *, required: bool = False) -> Params | None:
        value = self.tree.get(key)
        if value is None or value == "":
            if required:
                raise missing_param(self.name(key))
            return None
        if not isinstance(value, dict):
            raise invalid(f"Invalid hash: {self.name(key)}", param=self.name(key))
        return Params(value, self.name(key))

    def list(self, key: str, *, required: bool = False) -> list[Any]:
        value = self.tree.get(key)
        if value is None or value == "":
            if required:
                raise missing_param(self.name(key))
            return []
        if not isinstance(value, dict) or not all(index.isdigit() for index in value):
            raise invalid(f"Invalid array: {self.name(key)}", param=self.name(key))
        return [value[index] for index in sorted(value, key=int)]

    def list_of_str(self, key: str, *, required: bool = False) -> list[str]:
        items = self.list(key, required=required)
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise invalid(f"Invalid string: {self.name(key)}[{index}]", param=f"{self.name(key)}[{index}]")
        return items

    def list_of_params(self, key: str, *, required: bool = False) -> list[Params]:
        items = self.list(key, required=required)
        result = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise invalid(f"Invalid hash: {self.name(key)}[{index}]", param=f"{self.name(key)}[{index}]")
            result.append(Params(item, f"{self.name(key)}[{index}]"))
        return result

    def metadata(self, key: str = "metadata") -> dict[str, str]:
        """Stripe's limits: 50 keys, keys up to 40 characters, values up to 500."""
        sub = self.sub(key)
        if sub is None:
            return {}
        if len(sub.tree) > 50:
            raise invalid("Metadata can have at most 50 keys.", param=self.name(key))
        for name, value in sub.tree.items():
            if not isinstance(value, str):
                raise invalid(f"Invalid string: {sub.name(name)}", param=sub.name(name))
            if len(name) > 40:
                raise invalid(f"Metadata keys can have up to 40 characters; {name!r} has {len(name)}.",
                              param=sub.name(name))
            if len(value) > 500:
                raise invalid(f"Metadata values can have up to 500 characters, but you passed in a value that "
                              f"is {len(value)} characters. Invalid value: {value[:20]}...", param=sub.name(name))
        return dict(sub.tree)

    def expand(self) -> list[str]:
        return self.list_of_str("expand")
