"""A review section: its Markdown and what it adds to the verdict line."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Section:
    """Empty `lines` means nothing in this section changed: it is left out."""

    title: str
    lines: list[str] = field(default_factory=list)
    verdict: list[str] = field(default_factory=list)  # e.g. "2 DAGs changed"

    def markdown(self) -> str:
        return "\n".join([f"### {self.title}", "", *self.lines])


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 DAG`, `2 DAGs`; `many` for irregular plurals."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"


def code(text: object) -> str:
    """Inline code that survives backticks in the value."""
    value = str(text)
    fence = "``" if "`" in value else "`"
    return f"{fence}{value}{fence}"
