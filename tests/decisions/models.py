"""Small DMN documents written for the tests: a table, a requirements
graph, a knowledge model, in any DMN version's namespace."""

from __future__ import annotations

from html import escape

NAMESPACES = {
    "1.1": "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "1.2": "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "1.3": "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "1.4": "https://www.omg.org/spec/DMN/20211108/MODEL/",
    "1.5": "https://www.omg.org/spec/DMN/20230324/MODEL/",
}


def definitions(body: str, version: str = "1.5", extra: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<definitions xmlns="{NAMESPACES[version]}" id="defs" name="test" '
        f'namespace="http://example.com/dmn"{extra}>\n{body}\n</definitions>\n'
    ).encode()


def table(
    rules: list[tuple[list[str], list[str]]],
    *,
    hit_policy: str = "UNIQUE",
    aggregation: str | None = None,
    inputs: list[tuple[str, str]] = (("Age", "number"),),  # type: ignore[assignment]
    outputs: list[tuple[str, str | None, str | None]] = (("Result", None, None),),  # type: ignore[assignment]
    name: str = "Decision",
    input_values: dict[str, str] | None = None,
    requires: list[str] = (),  # type: ignore[assignment]
) -> str:
    """A decision holding one decision table, and its input data.

    ``outputs``: (name, output values text, default output text)."""
    aggregation_attr = f' aggregation="{aggregation}"' if aggregation else ""
    input_values = input_values or {}
    columns = "".join(
        f'<input id="in_{i}" label="{label}"><inputExpression typeRef="{kind}"><text>{label}</text>'
        f"</inputExpression>"
        + (
            f"<inputValues><text>{escape(input_values[label], False)}</text></inputValues>"
            if label in input_values
            else ""
        )
        + "</input>"
        for i, (label, kind) in enumerate(inputs)
    )
    outs = "".join(
        f'<output id="out_{i}" name="{out}">'
        + (f"<outputValues><text>{escape(values, False)}</text></outputValues>" if values else "")
        + (
            f"<defaultOutputEntry><text>{escape(default, False)}</text></defaultOutputEntry>"
            if default
            else ""
        )
        + "</output>"
        for i, (out, values, default) in enumerate(outputs)
    )
    rows = "".join(
        f'<rule id="r{n}">'
        + "".join(f"<inputEntry><text>{escape(t, False)}</text></inputEntry>" for t in tests)
        + "".join(f"<outputEntry><text>{escape(o, False)}</text></outputEntry>" for o in results)
        + "</rule>"
        for n, (tests, results) in enumerate(rules, start=1)
    )
    reqs = "".join(
        f'<informationRequirement><requiredInput href="#input_{label}"/></informationRequirement>'
        for label, _ in inputs
    ) + "".join(
        f'<informationRequirement><requiredDecision href="#{r}"/></informationRequirement>'
        for r in requires
    )
    data = "".join(
        f'<inputData id="input_{label}" name="{label}"><variable name="{label}" typeRef="{kind}"/>'
        "</inputData>"
        for label, kind in inputs
    )
    return (
        f'<decision id="{name.replace(" ", "_")}" name="{name}">{reqs}'
        f'<decisionTable id="table_{name.replace(" ", "_")}" hitPolicy="{hit_policy}"'
        f"{aggregation_attr}>{columns}{outs}{rows}</decisionTable></decision>{data}"
    )
