"""BPMN XML parsed safely, with lxml: no DTD, no entity expansion, no
network, a bounded size, comments dropped. A document that is not
well-formed XML is refused with the parser's line and column."""

from __future__ import annotations

from lxml import etree

from ...errors import DefinitionError, Issue

MAX_BYTES = 10 * 1024 * 1024  # a model is a drawing, not a database


def parse(data: bytes, source: str) -> etree._Element:
    """The root element of ``data``, or a DefinitionError saying where the
    XML is broken (``line L, column C``)."""
    if len(data) > MAX_BYTES:
        raise DefinitionError(
            source, [Issue("", f"the model is {len(data):,} bytes; at most {MAX_BYTES:,}")]
        )
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (0, 0)
        message = str(exc.msg or exc).split(" (line ")[0]
        raise DefinitionError(
            source, [Issue(f"line {line}, column {column}", f"not well-formed XML: {message}")]
        ) from None
    if getattr(root.getroottree().docinfo, "doctype", ""):
        raise DefinitionError(
            source,
            [
                Issue(
                    f"line {_line_of(data, b'<!DOCTYPE')}",
                    "a DOCTYPE is not allowed in a model (entities are not expanded)",
                )
            ],
        )
    return root


def _line_of(data: bytes, text: bytes) -> int:
    """The line ``text`` first appears on (1 when it does not)."""
    at = data.find(text)
    return data[:at].count(b"\n") + 1 if at >= 0 else 1
