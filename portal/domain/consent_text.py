"""Consent texts as written: `## heading`, `@picture`, `- item` and plain paragraphs."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Block:
    picture: str | None = None
    heading: str | None = None
    items: list[tuple[str, str]] = field(default_factory=list)  # ("p" | "li", text)


def blocks(body: str) -> list[Block]:
    """Split a consent text into blocks, one per blank-line-separated part."""
    result: list[Block] = []
    current = Block()
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            if current.items or current.heading or current.picture:
                result.append(current)
            current = Block()
        elif line.startswith("@"):
            current.picture = line[1:].strip()
        elif line.startswith("## "):
            current.heading = line[3:].strip()
        elif line.startswith("- "):
            current.items.append(("li", line[2:].strip()))
        else:
            current.items.append(("p", line))
    if current.items or current.heading or current.picture:
        result.append(current)
    return result
