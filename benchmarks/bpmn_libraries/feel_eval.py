"""Hand-written FEEL check: unary tests and expressions, expected values worked out by hand
from the DMN 1.5 FEEL semantics (decimal arithmetic, 1-based lists, three-valued logic).

Each library gets the cases through its most direct public route:
  * pySFeel 1.4.2  : SFeelParser().sFeelParse(text); unary test t on input v is sent as
                     '<v as FEEL literal> in (<t>)'  (the `in` route its README documents).
  * bkflow-feel    : bkflow_feel.api.parse_expression(text, context); unary test cells are first
                     rewritten by bkflow-dmn's own TableUnitHandler (its DMN layer's route),
                     with the input bound as variable x.
  * '+ our cell rewrite' rows: the same engines behind a thin DMN-cell layer of the kind any DMN
                     engine has: '-' -> true, whole-cell not(L) -> not(...); for pySFeel see
                     dmn_cell_rewrite(), for bkflow the bkflow-dmn rewrite is kept underneath.
  * SpiffWorkflow  : no FEEL engine; its DMN engine evaluates cells as *Python* via
                     DMNEngine.evaluate(input_expr, cell, task) and PythonScriptEngine.
                     Included to show what a 'FEEL-looking' cell does there.
Result: results/feel_cases.json and a markdown table on stdout.
"""

import datetime as dt
import decimal
import json
import logging
import os
import pathlib
import re

CORPORA = os.environ.get(
    "CORPORA", str(pathlib.Path(__file__).resolve().parents[3] / "shared" / "corpora")
)
RESULTS = os.environ.get("RESULTS", "/tmp/bpmn-eval/results")

logging.disable(logging.CRITICAL)
D = dt.date

# (id, input value, unary test, expected bool)
UNARY = [
    ("U01", 5, "< 10", True),
    ("U02", 10, "< 10", False),
    ("U03", 10, "<= 10", True),
    ("U04", 3, "[1..5]", True),
    ("U05", 1, "(1..5]", False),
    ("U06", 5, "(1..5]", True),
    ("U07", 5, "[1..5)", False),
    ("U08", 5, "]1..5[", False),
    ("U09", "b", '"a","b"', True),
    ("U10", "c", '"a","b"', False),
    ("U11", "c", 'not("a","b")', True),
    ("U12", "a", 'not("a","b")', False),
    ("U13", 42, "-", True),
    ("U14", "x", "-", True),
    ("U15", True, "true", True),
    ("U16", False, "true", False),
    ("U17", 7, "1, 7, 9", True),
    ("U18", 8, "< 5, > 7", True),
    ("U19", D(2024, 3, 1), '>= date("2024-01-01")', True),
    ("U20", D(2023, 12, 31), '[date("2024-01-01")..date("2024-12-31")]', False),
    ("U21", 2.5, ">= 2.5", True),
    ("U22", -3, "< -2", True),
    ("U23", "abc", '"abc"', True),
    ("U24", 5, "!= 5", False),
    ("U25", 4, "not(< 3)", True),
]

ND = dt.timedelta
# (id, expression, context, expected)   expected None means FEEL null
EXPR = [
    ("E01", "1 + 2 * 3", {}, 7),
    ("E02", "(1 + 2) * 3", {}, 9),
    ("E03", "10 / 4", {}, decimal.Decimal("2.5")),
    ("E04", "2 ** 3", {}, 8),
    ("E05", "-5 + 2", {}, -3),
    ("E06", "10 - 3 - 2", {}, 5),
    ("E07", "0.1 + 0.2 = 0.3", {}, True),  # FEEL numbers are decimals
    ("E08", '"foo" + "bar"', {}, "foobar"),
    ("E09", "5 > 3", {}, True),
    ("E10", "5 = 5.0", {}, True),
    ("E11", '"a" != "b"', {}, True),
    ("E12", '"a" < "b"', {}, True),
    ("E13", "true and false", {}, False),
    ("E14", "true or null", {}, True),
    ("E15", "false and null", {}, False),
    ("E16", "not(true)", {}, False),
    ("E17", 'if 5 > 3 then "yes" else "no"', {}, "yes"),
    ("E18", "if null then 1 else 2", {}, 2),
    ("E19", "x * 2", {"x": 21}, 42),
    ("E20", "1 + null", {}, None),
    ("E21", "null = null", {}, True),
    ("E22", "5 in [1..10]", {}, True),
    ("E23", "5 between 1 and 10", {}, True),
    ("E24", "[1, 2, 3][2]", {}, 2),
    ("E25", "count([1, 2, 3])", {}, 3),
    ("E26", "sum([1, 2, 3])", {}, 6),
    ("E27", 'string length("abc")', {}, 3),
    ("E28", 'date("2024-01-01") + duration("P1D")', {}, D(2024, 1, 2)),
    ("E29", 'date("2024-03-01") - date("2024-02-01")', {}, ND(days=29)),
    ("E30", 'date("2024-01-01") < date("2024-06-01")', {}, True),
    ("E31", 'duration("P1D") + duration("PT12H")', {}, ND(days=1, hours=12)),
    ("E32", 'duration("P1D") > duration("PT23H")', {}, True),
    ("E33", 'date("2024-01-01").year', {}, 2024),
]


# ------------------------------------------------------------------ comparison
def same(actual, expected):
    if expected is None:
        return actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(actual, bool) and actual == expected
    if isinstance(expected, (int, float, decimal.Decimal)):
        if isinstance(actual, (int, float, decimal.Decimal)) and not isinstance(actual, bool):
            return abs(
                decimal.Decimal(str(actual)) - decimal.Decimal(str(expected))
            ) < decimal.Decimal("1e-9")
        return False
    if isinstance(expected, dt.timedelta):
        if isinstance(actual, dt.timedelta):
            return actual == expected
        if hasattr(actual, "total_seconds"):
            return actual.total_seconds() == expected.total_seconds()
        return False
    if isinstance(expected, dt.date):
        return type(actual) is dt.date and actual == expected
    return type(actual) is type(expected) and actual == expected


def feel_literal(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v + '"'
    if isinstance(v, dt.date):
        return f'date("{v.isoformat()}")'
    return str(v)


# ------------------------------------------------------------------ adapters
class Err(Exception):
    pass


def pysfeel_expr(text, ctx):
    import pySFeel

    p = pySFeel.SFeelParser()
    for k, v in ctx.items():  # pySFeel has no context argument: substitute literals
        text = re.sub(rf"\b{k}\b", feel_literal(v), text)
    status, val = p.sFeelParse(text)
    if "errors" in status:
        raise Err("; ".join(status["errors"])[:160])
    return val


def _top_level_comma(t):
    depth, q = 0, False
    for ch in t:
        if ch == '"':
            q = not q
        elif not q and ch in "([":
            depth += 1
        elif not q and ch in ")]":
            depth -= 1
        elif not q and ch == "," and depth == 0:
            return True
    return False


def pysfeel_unary(value, test):
    """Canonical FEEL form: <v> in (<positive unary tests>)."""
    return pysfeel_expr(f"{feel_literal(value)} in ({test})", {})


def dmn_cell_rewrite(value_name, test):
    """The minimal rewrite any DMN layer does before handing a cell to a FEEL expression engine:
    '-' -> true, whole-cell not(L) -> not(<x> in (L)), a single range -> <x> in R
    (pySFeel mis-evaluates `3 in ([1..5])`), otherwise <x> in (L)."""
    t = test.strip()
    if t == "-":
        return "true"
    neg = t.startswith("not(") and t.endswith(")")
    if neg:
        t = t[4:-1]
    single_range = re.fullmatch(r"[\[\]\(][^,]*\.\.[^,]*[\]\[\)]", t.strip()) is not None
    e = f"{value_name} in {t}" if single_range else f"{value_name} in ({t})"
    return f"not({e})" if neg else e


def pysfeel_unary_rw(value, test):
    return pysfeel_expr(dmn_cell_rewrite(feel_literal(value), test), {})


def bkflow_unary_rw(value, test):
    """bkflow-dmn's own cell rewrite, plus '-' -> true and not(L) -> not(rewrite(L))."""
    from bkflow_dmn.data_model import TableUnitHandler

    t = test.strip()
    if t == "-":
        return True
    neg = t.startswith("not(") and t.endswith(")")
    if neg:
        t = t[4:-1]
    e = TableUnitHandler(unit_exp=t, col_id="x").get_handled_exp()
    return bkflow_expr(f"not({e})" if neg else e, {"x": value})


def bkflow_expr(text, ctx):
    from bkflow_feel.api import parse_expression

    return parse_expression(text, dict(ctx))


def bkflow_unary(value, test):
    from bkflow_dmn.data_model import TableUnitHandler

    expr = TableUnitHandler(unit_exp=test, col_id="x").get_handled_exp()
    return bkflow_expr(expr, {"x": value})


class _FakeWorkflow:
    class spec:
        file = "fake.dmn"

    parent_task_id = None
    parent_workflow = None

    def __init__(self):
        from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

        self.script_engine = PythonScriptEngine()
        self.top_workflow = self


class _FakeSpec:
    name = bpmn_id = "fake"
    bpmn_name = "fake"


class _FakeTask:
    """Just enough of a SpiffWorkflow Task for DMNEngine/PythonScriptEngine (data + error reporting)."""

    def __init__(self, data):
        self.data = data
        self.workflow = _FakeWorkflow()
        self.task_spec = _FakeSpec()


def spiff_unary(value, test):
    from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

    if test.strip() == "-":  # Spiff's DMN parser maps '-' to None before the engine sees it
        test = None
    return DMNEngine(None).evaluate("x", test, _FakeTask({"x": value}))


def spiff_expr(text, ctx):
    t = _FakeTask(dict(ctx))
    return t.workflow.script_engine.evaluate(t, text)


LIBS = {
    "pySFeel 1.4.2": (pysfeel_unary, pysfeel_expr),
    "pySFeel 1.4.2 + our cell rewrite": (pysfeel_unary_rw, pysfeel_expr),
    "bkflow-feel 1.2.0 (+bkflow-dmn cell rewrite)": (bkflow_unary, bkflow_expr),
    "bkflow-feel 1.2.0 + our cell rewrite": (bkflow_unary_rw, bkflow_expr),
    "SpiffWorkflow 3.2.0 (Python, not FEEL)": (spiff_unary, spiff_expr),
}


def main():
    rows, summary = [], {}
    for lib, (fu, fe) in LIBS.items():
        s = {
            "unary_ok": 0,
            "unary_wrong": 0,
            "unary_error": 0,
            "expr_ok": 0,
            "expr_wrong": 0,
            "expr_error": 0,
        }
        for cid, v, t, exp in UNARY:
            try:
                act = fu(v, t)
                res = "ok" if same(act, exp) else "wrong"
                shown = repr(act)
            except Exception as e:
                res, shown = (
                    "error",
                    f"{type(e).__name__}: {str(e).splitlines()[0][:80] if str(e) else ''}",
                )
            s["unary_" + res] += 1
            rows.append(
                {
                    "lib": lib,
                    "id": cid,
                    "case": f"{feel_literal(v)} ∈ `{t}`",
                    "expected": repr(exp),
                    "actual": shown,
                    "result": res,
                }
            )
        for cid, text, ctx, exp in EXPR:
            try:
                act = fe(text, ctx)
                res = "ok" if same(act, exp) else "wrong"
                shown = repr(act)
            except Exception as e:
                res, shown = (
                    "error",
                    f"{type(e).__name__}: {str(e).splitlines()[0][:80] if str(e) else ''}",
                )
            s["expr_" + res] += 1
            rows.append(
                {
                    "lib": lib,
                    "id": cid,
                    "case": f"`{text}`" + (f" with {ctx}" if ctx else ""),
                    "expected": repr(exp),
                    "actual": shown,
                    "result": res,
                }
            )
        summary[lib] = s
    json.dump(
        {"summary": summary, "rows": rows},
        open(RESULTS + "/feel_cases.json", "w"),
        indent=1,
        default=str,
    )
    print(
        f"| library | unary ok / wrong / error (of {len(UNARY)}) "
        f"| expressions ok / wrong / error (of {len(EXPR)}) | total ok |"
    )
    print("|---|---|---|---|")
    for lib, s in summary.items():
        print(
            f"| {lib} | {s['unary_ok']} / {s['unary_wrong']} / {s['unary_error']} | "
            f"{s['expr_ok']} / {s['expr_wrong']} / {s['expr_error']} | "
            f"{s['unary_ok'] + s['expr_ok']}/{len(UNARY) + len(EXPR)} |"
        )
    print()
    libs = list(LIBS)
    print("| id | case | expected | " + " | ".join(libs) + " |")
    print("|---|---|---|" + "---|" * len(libs))
    by = {}
    for r in rows:
        by.setdefault((r["id"], r["case"], r["expected"]), {})[r["lib"]] = r
    for (cid, case, exp), d in by.items():
        cells = []
        for lib in libs:
            r = d[lib]
            mark = {"ok": "✓", "wrong": "✗", "error": "E"}[r["result"]]
            cells.append(f"{mark} {r['actual'][:45]}".replace("|", "\\|"))
        print(f"| {cid} | {case.replace('|', chr(92) + '|')} | {exp} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
