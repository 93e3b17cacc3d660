"""What reading a DMN element needs: its local name, the text of a child,
and the list of problems found, each at an element's line, type and id."""

from __future__ import annotations

from lxml import etree

from ...errors import Issue


def local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def text_of(el: etree._Element, ns: str, name: str) -> str | None:
    child = el.find(f"{{{ns}}}{name}")
    return None if child is None else (child.text or "")


def short(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= 40 else one_line[:37] + "..."


class Issues:
    """The problems found, each at an element's line, type and id."""

    def __init__(self) -> None:
        self.list: list[Issue] = []

    def __bool__(self) -> bool:
        return bool(self.list)

    def add(self, el: etree._Element, message: str, label: str | None = None) -> None:
        ident = el.get("id")
        line = el.sourceline if isinstance(el.sourceline, int) else None
        self.add_at(line, label or local(el), ident, message)

    def add_at(self, line: int | None, kind: str, ident: str | None, message: str) -> None:
        where = f"line {line}, {kind}" + (f" {ident!r}" if ident else "")
        self.list.append(Issue(where, message))
