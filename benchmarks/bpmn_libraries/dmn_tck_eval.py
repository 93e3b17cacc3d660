"""Run DMN TCK decision-table tests (read in place from ../shared/corpora/dmn-tck) through
Python DMN engines.

Unit of counting: one <resultNode> of one <testCase> (the TCK's own granularity), restricted
to result nodes whose decision is a <decisionTable> (the 'DT result nodes'). The strict
'subset' of features.json (subset_testCase_ids) is reported separately.

Matching inputs to expected outputs:
  * <inputNode name=N> -> facts[N] (xsd:decimal -> float for pyDMNrules / bkflow, Decimal-free
    Python number for Spiff; xsd:string -> str; xsd:boolean -> bool; xsd:date -> datetime.date;
    <component> -> dict; <list> -> list; xsi:nil -> None).
  * <resultNode name=D> -> the engine's output for decision D, reshaped into the TCK value
    grammar: single output column -> scalar; several -> {output name: value}; multi-hit
    (COLLECT w/o aggregation, RULE ORDER, OUTPUT ORDER) -> list of those.
  * Numbers compare as Decimal (10 == 10.0); COLLECT lists compare as multisets (order is
    unspecified by DMN), RULE ORDER / OUTPUT ORDER in order; errorResult="true" passes on an
    exception or a null result.
Outcome per result node: pass / fail (wrong value) / error (engine raised or reported errors)
/ skip (engine cannot load that model: counted as 'not attempted').
Writes results/dmn_tck.json and prints markdown tables.
"""

import datetime as dt
import decimal
import glob
import json
import logging
import os
import pathlib
import re
import sys
import time
import xml.etree.ElementTree as ET

CORPORA = os.environ.get(
    "CORPORA", str(pathlib.Path(__file__).resolve().parents[3] / "shared" / "corpora")
)
RESULTS = os.environ.get("RESULTS", "/tmp/bpmn-eval/results")

logging.disable(logging.CRITICAL)

TCK = CORPORA + "/dmn-tck"
TC_NS = "http://www.omg.org/spec/DMN/20160719/testcase"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


# ----------------------------------------------------------------- TCK reading
def parse_value(el):
    """TCK value grammar -> Python. el is an inputNode/expected/component/item element."""
    kids = [k for k in el if k.tag.split("}")[1] in ("value", "component", "list")]
    if not kids:
        return None
    k0 = kids[0]
    tag = k0.tag.split("}")[1]
    if tag == "component":
        return {c.get("name"): parse_value(c) for c in kids}
    if tag == "list":
        return [parse_value(it) for it in k0 if it.tag.split("}")[1] == "item"]
    if k0.get(f"{{{XSI}}}nil") == "true":
        return None
    t = (k0.get(f"{{{XSI}}}type") or "").split(":")[-1]
    txt = k0.text or ""
    if t in ("decimal", "double", "integer", "int", "long"):
        return decimal.Decimal(txt.strip())
    if t == "boolean":
        return txt.strip() == "true"
    if t == "date":
        return dt.date.fromisoformat(txt.strip())
    if t in ("dateTime", "time", "duration"):
        return ("UNSUPPORTED_" + t, txt.strip())
    return txt


def load_cases(folder):
    tfile = glob.glob(f"{folder}/*-test-*.xml")[0]
    root = ET.parse(tfile).getroot()
    model = root.find(f"{{{TC_NS}}}modelName").text
    cases = []
    for tc in root.findall(f"{{{TC_NS}}}testCase"):
        inputs = {n.get("name"): parse_value(n) for n in tc.findall(f"{{{TC_NS}}}inputNode")}
        for rn in tc.findall(f"{{{TC_NS}}}resultNode"):
            exp = rn.find(f"{{{TC_NS}}}expected")
            cases.append(
                {
                    "tc": tc.get("id"),
                    "result": rn.get("name"),
                    "error_result": rn.get("errorResult") == "true",
                    "inputs": inputs,
                    "expected": parse_value(exp) if exp is not None else None,
                }
            )
    return os.path.join(folder, model), cases


def model_info(path):
    """decision name -> {'dt': element or None, 'hit', 'agg', 'outputs'}"""
    root = ET.parse(path).getroot()
    ns = root.tag.split("}")[0][1:]
    info = {}
    for d in root.findall(f"{{{ns}}}decision"):
        dtab = d.find(f"{{{ns}}}decisionTable")
        if dtab is None:
            info[d.get("name")] = {"dt": None}
            continue
        outs = [o.get("name") for o in dtab.findall(f"{{{ns}}}output")]
        info[d.get("name")] = {
            "dt": dtab,
            "ns": ns,
            "hit": (dtab.get("hitPolicy") or "UNIQUE").upper(),
            "agg": (dtab.get("aggregation") or "").upper(),
            "outputs": outs,
            "decision_el": d,
        }
    return info


# ----------------------------------------------------------------- comparison
def to_dec(x):
    return decimal.Decimal(str(x))


def same(a, e, unordered=False):
    if e is None:
        return a is None or a == ""
    if isinstance(e, bool):
        return isinstance(a, bool) and a == e
    if isinstance(e, decimal.Decimal):
        if isinstance(a, bool) or not isinstance(a, (int, float, decimal.Decimal)):
            return False
        return abs(to_dec(a) - e) < decimal.Decimal("1e-9")
    if isinstance(e, dict):
        return isinstance(a, dict) and set(a) == set(e) and all(same(a[k], e[k]) for k in e)
    if isinstance(e, list):
        if not isinstance(a, list) or len(a) != len(e):
            return False
        if not unordered:
            return all(same(x, y) for x, y in zip(a, e, strict=False))
        rest = list(a)
        for y in e:
            for i, x in enumerate(rest):
                if same(x, y):
                    del rest[i]
                    break
            else:
                return False
        return True
    return type(a) is type(e) and a == e


def pyvals(v):
    """Decimal -> float/int for engines that use Python floats."""
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, dict):
        return {k: pyvals(x) for k, x in v.items()}
    if isinstance(v, list):
        return [pyvals(x) for x in v]
    return v


MULTI = {"COLLECT", "RULE ORDER", "OUTPUT ORDER"}


def shape(rows, mi):
    """rows: list of {output name: value} for the matched rules (engine order)."""
    outs = mi["outputs"]

    def one(r):
        if len(outs) <= 1:
            return list(r.values())[0] if r else None
        return {k: r.get(k) for k in outs}

    if mi["hit"] in MULTI and not (mi["hit"] == "COLLECT" and mi["agg"]):
        return [one(r) for r in rows]
    if not rows:
        return None
    return one(rows[0])


# ----------------------------------------------------------------- engines
class EngineError(Exception):
    pass


class PyDMNrules:
    name = "pyDMNrules 1.4.5"

    def load(self, path, mi):
        import pyDMNrules

        d = pyDMNrules.DMN()
        st = d.loadXML(path)
        if "errors" in st:
            raise EngineError("load: " + str(st["errors"])[:200])
        return d

    def run(self, d, inputs, dname, mi):
        st, nd = d.decide(pyvals(inputs))
        if "errors" in st:
            raise EngineError("decide: " + str(st["errors"])[:200])
        results = nd if isinstance(nd, list) else [nd]
        # merge the 'Result' dicts of executed tables; pick the decision's variables
        R = {}
        for r in results:
            for k, v in r.get("Result", {}).items():
                R.setdefault(k, []).append(v)
        outs = mi["outputs"]
        if len(outs) <= 1 or all(o is None for o in outs):
            keys = [dname] + ([outs[0]] if outs and outs[0] else [])
            for k in keys:
                if k in R:
                    vals = R[k]
                    break
            else:
                raise EngineError(f"no output {keys} in result keys {list(R)[:8]}")
            rows = []
            for v in vals:
                rows.extend([{"o": x} for x in v] if isinstance(v, list) else [{"o": v}])
        else:
            cols = {}
            for o in outs:
                for k in (f"{dname}.{o}", o):
                    if k in R:
                        cols[o] = R[k]
                        break
                else:
                    raise EngineError(f"no output {dname}.{o} in {list(R)[:8]}")
            flat = {}
            for o, vals in cols.items():
                flat[o] = []
                for v in vals:
                    flat[o].extend(v if isinstance(v, list) else [v])
            n = max(len(v) for v in flat.values())
            rows = [{o: (flat[o][i] if i < len(flat[o]) else None) for o in outs} for i in range(n)]
        if mi["hit"] == "COLLECT" and mi["agg"] and len(rows) == 1:
            return rows[0]["o"] if "o" in rows[0] else rows[0]
        if len(outs) <= 1:
            mi2 = dict(mi, outputs=["o"])
            return shape(rows, mi2)
        return shape(rows, mi)


class _FakeSpec:
    name = bpmn_id = bpmn_name = "tck"


class _FakeWorkflow:
    class spec:
        file = "tck.dmn"

    parent_task_id = None
    parent_workflow = None

    def __init__(self):
        from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

        self.script_engine = PythonScriptEngine()
        self.top_workflow = self


class _FakeTask:
    def __init__(self, data):
        self.data = data
        self.workflow = _FakeWorkflow()
        self.task_spec = _FakeSpec()


class Spiff:
    name = "SpiffWorkflow 3.2.0 DMNEngine"

    def load(self, path, mi):
        from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
        from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser
        from SpiffWorkflow.dmn.specs.model import HitPolicy

        p = BpmnDmnParser()
        p.add_dmn_file(path)
        engines = {}
        for dp in p.dmn_parsers.values():
            dp.parse()
            dec = dp.decision
            if dec.decisionTables:
                hp = dec.decisionTables[0].hit_policy
                if hp not in [h.value for h in HitPolicy]:
                    raise EngineError(f"hit policy {hp} not supported")
                engines[dec.name] = DMNEngine(dec.decisionTables[0])
        return engines

    def run(self, engines, inputs, dname, mi):
        if dname not in engines:
            raise EngineError("decision not loaded")
        eng = engines[dname]
        task = _FakeTask(pyvals(inputs))
        rules = eng.decide(task)
        rows = []
        for r in rules:
            od = r.output_as_dict(task)
            if len(mi["outputs"]) <= 1:
                od = {"o": list(od.values())[0]} if od else {}
            rows.append(dict(od))
        if mi["hit"] == "COLLECT" and mi["agg"]:
            raise EngineError("COLLECT aggregation not supported")
        if len(mi["outputs"]) <= 1:
            return shape(rows, dict(mi, outputs=["o"]))
        return shape(rows, mi)


class SpiffWithIds(Spiff):
    """Same engine; before loading, give an id to every decisionTable/input/output/rule/entry that
    lacks one (Spiff's DMN parser does attrib['id'] on them; TCK models often omit ids)."""

    name = "SpiffWorkflow 3.2.0 DMNEngine (+ids injected)"

    def load(self, path, mi):
        from lxml import etree
        from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
        from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser
        from SpiffWorkflow.dmn.specs.model import HitPolicy

        tree = etree.parse(path)
        n = 0
        for el in tree.iter():
            if (
                isinstance(el.tag, str)
                and el.tag.split("}")[-1]
                in (
                    "decisionTable",
                    "input",
                    "output",
                    "rule",
                    "inputEntry",
                    "outputEntry",
                    "inputExpression",
                )
                and el.get("id") is None
            ):
                n += 1
                el.set("id", f"_injected_{n}")
        p = BpmnDmnParser()
        p.add_dmn_xml(tree.getroot(), filename=path)
        engines = {}
        for dp in p.dmn_parsers.values():
            dp.parse()
            dec = dp.decision
            if dec.decisionTables:
                hp = dec.decisionTables[0].hit_policy
                if hp not in [h.value for h in HitPolicy]:
                    raise EngineError(f"hit policy {hp} not supported")
                engines[dec.name] = DMNEngine(dec.decisionTables[0])
        return engines


def _txt(el, ns):
    t = el.find(f"{{{ns}}}text")
    return (t.text or "").strip() if t is not None else ""


class BkflowDMN:
    """bkflow-dmn takes a dict table; we translate the DMN XML decisionTable to that dict:
    input col id = inputExpression text, cells = inputEntry text ('-' -> '' = 'no test',
    bkflow-dmn's own convention), output col id = output name (or decision name),
    hit policy UNIQUE->Unique, RULE ORDER->RuleOrder, COLLECT+SUM->Collect(Sum), ..."""

    name = "bkflow-dmn 0.2.0 (bkflow-feel 1.2.0)"
    HP = {
        "UNIQUE": "Unique",
        "ANY": "Any",
        "FIRST": "First",
        "PRIORITY": "Priority",
        "RULE ORDER": "RuleOrder",
        "OUTPUT ORDER": "OutputOrder",
        "COLLECT": "Collect",
    }

    def load(self, path, mi):
        tables = {}
        for dname, m in mi.items():
            if m["dt"] is None:
                continue
            ns, dtab = m["ns"], m["dt"]
            in_cols = [
                {"id": _txt(i.find(f"{{{ns}}}inputExpression"), ns)}
                for i in dtab.findall(f"{{{ns}}}input")
            ]
            outs = m["outputs"]
            out_cols = [{"id": o or dname} for o in outs]
            in_rows, out_rows = [], []
            for r in dtab.findall(f"{{{ns}}}rule"):
                in_rows.append(
                    [
                        ("" if _txt(e, ns) == "-" else _txt(e, ns))
                        for e in r.findall(f"{{{ns}}}inputEntry")
                    ]
                )
                out_rows.append([_txt(e, ns) for e in r.findall(f"{{{ns}}}outputEntry")])
            hp = self.HP[m["hit"]]
            if m["hit"] == "COLLECT" and m["agg"]:
                hp = f"Collect({m['agg'].capitalize()})"
            tables[dname] = {
                "title": dname,
                "hit_policy": hp,
                "inputs": {"cols": in_cols, "rows": in_rows},
                "outputs": {"cols": out_cols, "rows": out_rows},
            }
        return tables

    def run(self, tables, inputs, dname, mi):
        from bkflow_dmn.api import decide_single_table

        if dname not in tables:
            raise EngineError("decision not loaded")
        res = decide_single_table(tables[dname], pyvals(inputs), strict_mode=True)
        outs = [o or dname for o in mi["outputs"]]
        if mi["hit"] == "COLLECT" and mi["agg"]:
            # aggregated result: list with one dict of aggregated columns
            r = res[0] if isinstance(res, list) and res else res
            return r.get(outs[0]) if isinstance(r, dict) else r
        rows = []
        for r in res if isinstance(res, list) else [res]:
            rows.append(
                {o: r.get(oid) for o, oid in zip(mi["outputs"], outs, strict=False)}
                if len(outs) > 1
                else {"o": r.get(outs[0])}
            )
        if len(outs) <= 1:
            return shape(rows, dict(mi, outputs=["o"]))
        return shape(rows, mi)


ENGINES = [PyDMNrules(), Spiff(), SpiffWithIds(), BkflowDMN()]


def main():
    feats = json.load(open(f"{TCK}/features.json"))["folders"]
    folders = sorted(glob.glob(f"{TCK}/compliance-level-2/*/")) + sorted(
        glob.glob(f"{TCK}/compliance-level-3/*/")
    )
    out = {}
    for eng in ENGINES:
        recs = []
        t0 = time.perf_counter()
        for folder in folders:
            folder = folder.rstrip("/")
            key = "/".join(folder.split("/")[-2:])
            level = folder.split("/")[-2]
            model, cases = load_cases(folder)
            mi = model_info(model)
            subset = set(feats.get(key, {}).get("subset_testCase_ids", []) or [])
            dt_cases = [c for c in cases if mi.get(c["result"], {}).get("dt") is not None]
            if not dt_cases:
                continue
            try:
                obj = eng.load(model, mi)
                load_err = None
            except Exception as e:
                obj, load_err = None, f"{type(e).__name__}: {str(e)[:150]}"
            for c in dt_cases:
                rec = {
                    "folder": key,
                    "level": level,
                    "tc": c["tc"],
                    "result": c["result"],
                    "subset": c["tc"] in subset,
                }
                if obj is None:
                    rec.update(outcome="not-loaded", detail=load_err)
                    recs.append(rec)
                    continue
                m = mi[c["result"]]
                try:
                    act = eng.run(obj, c["inputs"], c["result"], m)
                    if c["error_result"]:
                        ok = act is None
                    else:
                        ok = same(act, c["expected"], unordered=(m["hit"] == "COLLECT"))
                    # expected values are corpus data: not written to results/, only compared in memory
                    rec.update(
                        outcome="pass" if ok else "fail",
                        actual=repr(act)[:200],
                        detail=None if ok else f"got {act!r:.120}",
                    )
                except Exception as e:
                    if c["error_result"]:
                        rec.update(outcome="pass", detail="raised as expected")
                    else:
                        rec.update(
                            outcome="error",
                            detail=f"{type(e).__name__}: {str(e).splitlines()[0][:150] if str(e) else ''}",
                        )
                recs.append(rec)
        out[eng.name] = {"records": recs, "seconds": time.perf_counter() - t0}
    json.dump(out, open(RESULTS + "/dmn_tck.json", "w"), indent=1, default=str)
    report(out)


def report(out):
    import collections

    print(
        "| engine | scope | DT result nodes | loaded & attempted | pass | fail | error | not loaded |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, d in out.items():
        R = d["records"]
        for label, sel in [
            ("level-2, all DT result nodes", lambda r: r["level"] == "compliance-level-2"),
            (
                "level-2, features.json subset",
                lambda r: r["level"] == "compliance-level-2" and r["subset"],
            ),
            ("level-3 (19 folders), DT result nodes", lambda r: r["level"] == "compliance-level-3"),
            (
                "level-3, features.json subset",
                lambda r: r["level"] == "compliance-level-3" and r["subset"],
            ),
        ]:
            rs = [r for r in R if sel(r)]
            c = collections.Counter(r["outcome"] for r in rs)
            att = len(rs) - c["not-loaded"]
            print(
                f"| {name} | {label} | {len(rs)} | {att} | {c['pass']} | {c['fail']} | {c['error']} | {c['not-loaded']} |"
            )
    print()
    for name, d in out.items():
        print(
            f"**{name}** ({d['seconds']:.1f} s total) — per level-2 folder pass/total, and top reasons"
        )
        per = collections.defaultdict(collections.Counter)
        for r in d["records"]:
            per[r["folder"]][r["outcome"]] += 1
        print(
            "- "
            + ", ".join(
                f"{f.split('/')[1][:4]}:{c['pass']}/{sum(c.values())}" for f, c in per.items()
            )
        )
        reasons = collections.Counter()
        for r in d["records"]:
            if r["outcome"] in ("error", "not-loaded", "fail"):
                det = r["detail"] or ""
                if r["outcome"] == "fail":
                    det = "wrong value"
                det = re.sub(r"\d+(\.\d+)?", "N", det)
                det = re.sub(r"'[^']{20,}'", "'…'", det)
                reasons[f"{r['outcome']}: {det[:140]}"] += 1
        for k, v in reasons.most_common(5):
            print(f"  - ×{v} `{k}`")
        print()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--report":
        report(json.load(open(RESULTS + "/dmn_tck.json")))
    else:
        main()
