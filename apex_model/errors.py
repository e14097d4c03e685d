"""Errors that name what is wrong and where, for every file a user or reviewer edits."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError


class ApexConfigError(ValueError):
    """An invalid model or configuration file: one message naming the file, the field and the reason."""

    def __init__(self, path: str | Path, field: str, reason: str) -> None:
        self.path = str(path)
        self.field = field
        self.reason = reason
        where = f"{self.path}: {field}" if field else self.path
        super().__init__(f"{where}: {reason}")


def _location(loc: tuple, data: object) -> str:
    """Render a pydantic error location as `levels[2].gates[0].kind`, using ids where the YAML has them."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and 0 <= item < len(node):
                node = node[item]
                ident = node.get("id") if isinstance(node, dict) else None
                if ident is not None:
                    label = f"[{item}] ({ident})"
            parts.append(label)
        else:
            if isinstance(node, dict):
                node = node.get(item)
            else:
                node = None
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


def from_validation_error(path: str | Path, error: ValidationError, data: object) -> ApexConfigError:
    """Turn the first pydantic error into one clear message (the first is the one to fix first)."""
    first = error.errors(include_url=False)[0]
    loc = tuple(x for x in first["loc"] if not (isinstance(x, str) and x.startswith("function-")))
    message = first["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    extra = len(error.errors()) - 1
    if extra:
        message += f" (and {extra} more problem{'s' if extra > 1 else ''} in this file)"
    return ApexConfigError(path, _location(loc, data), message)
