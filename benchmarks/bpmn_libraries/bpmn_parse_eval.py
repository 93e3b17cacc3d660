"""Measure BPMN 2.0 parsing libraries over the MIWG and betsy corpora (read in place).

Usage: python bpmn_parse_eval.py  -> writes results/bpmn_parse.json and prints tables.
Each parser is run in-process, per file, with a 60 s SIGALRM timeout.
'ok' = the call returned without an exception. We also record a crude size of the
resulting model (number of flow nodes / task specs) to detect silent emptiness.
"""

import glob
import json
import os
import pathlib
import re
import signal
import sys
import time
import warnings

CORPORA = os.environ.get(
    "CORPORA", str(pathlib.Path(__file__).resolve().parents[3] / "shared" / "corpora")
)
RESULTS = os.environ.get("RESULTS", "/tmp/bpmn-eval/results")

warnings.filterwarnings("ignore")

CORP = CORPORA + "/bpmn"
SETS = {
    "miwg-reference": sorted(glob.glob(f"{CORP}/miwg/Reference/*.bpmn")),
    "miwg-vendor": sorted(glob.glob(f"{CORP}/miwg/vendor-sample/*/*.bpmn")),
    "betsy-semantic": sorted(
        p for p in glob.glob(f"{CORP}/betsy/models/*/*.bpmn") if "/bpmn_constraints/" not in p
    ),
}


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout("timeout 60s")


# ---------------------------------------------------------------- parsers
def spiff_default(path):
    """SpiffBpmnParser (spiff extensions), no XSD validation; build specs of executable processes."""
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

    p = SpiffBpmnParser()
    p.add_bpmn_file(path)
    specs = p.find_all_specs()
    return sum(len(s.task_specs) for s in specs.values())


def spiff_all(path):
    """SpiffBpmnParser, every <process> forced executable (MIWG models are mostly non-executable)."""
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

    p = SpiffBpmnParser()
    p.add_bpmn_file(path)
    n = 0
    for _pid, pp in list(p.process_parsers.items()):
        pp.process_executable = True
    for _pid, pp in list(p.process_parsers.items()):
        n += len(pp.get_spec().task_specs)
    return n


def spiff_validate(path):
    """BpmnParser (plain) with BpmnValidator (XSD schema shipped with SpiffWorkflow), then all processes."""
    from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, BpmnValidator

    global _VALIDATOR
    if "_VALIDATOR" not in globals():
        _VALIDATOR = BpmnValidator()
    p = BpmnParser(validator=_VALIDATOR)
    p.add_bpmn_file(path)
    n = 0
    for _pid, pp in list(p.process_parsers.items()):
        pp.process_executable = True
    for _pid, pp in list(p.process_parsers.items()):
        n += len(pp.get_spec().task_specs)
    return n


def bpmn_io_parse(path):
    from bpmn_io import BpmnModdle

    with open(path, encoding="utf-8") as f:
        xml = f.read()
    r = BpmnModdle().from_xml(xml)
    return len(r.elements_by_id)


def bpmn_io_check(path):
    """bpmn_io.check: counts as ok only if report.ok (no L0 integrity errors)."""
    from bpmn_io import check

    with open(path, encoding="utf-8") as f:
        xml = f.read()
    rep = check(xml)
    if not rep.ok:
        raise RuntimeError("check-errors: " + str(rep.errors[0])[:200])
    return -1 - len(rep.warnings)  # negative: -(1+number of warnings); not a model size


def bpmn_python_parse(path):
    from bpmn_python.bpmn_diagram_rep import BpmnDiagramGraph

    g = BpmnDiagramGraph()
    g.load_diagram_from_xml_file(path)
    return len(g.get_nodes())


def bpmn_python_legacy(path):
    """bpmn-python in its own venv with networkx 2.3, numpy 1.26 (+ fractions.gcd / numpy.int shims for Python 3.11)."""
    import fractions
    import math

    fractions.gcd = math.gcd
    import numpy

    numpy.int, numpy.float = int, float  # removed aliases used by networkx 2.3
    return bpmn_python_parse(path)


def bpmn_parser_parse(path):
    from bpmn_parser import BPMNParser

    p = BPMNParser(path)
    return (
        len(p.service_task)
        + len(p.user_task)
        + len(p.sequence_flow)
        + len(p.intermediate_catch_event)
        + len(p.exclusive_gateway)
    )


def pybpmn_parse(path):
    from pathlib import Path

    from pybpmn.parser import BpmnParser

    return len(BpmnParser().parse_bpmn_anns(Path(path)))


PARSERS = {
    "SpiffWorkflow(spiff, executable only)": spiff_default,
    "SpiffWorkflow(spiff, all processes)": spiff_all,
    "SpiffWorkflow(bpmn + XSD validator, all processes)": spiff_validate,
    "bpmn-io from_xml": bpmn_io_parse,
    "bpmn-io check": bpmn_io_check,
    "bpmn-python": bpmn_python_parse,
    "bpmn-python (networkx 2.3 venv)": bpmn_python_legacy,
    "bpmn-parser": bpmn_parser_parse,
    "pybpmn-parser": pybpmn_parse,
}


def reason(e):
    msg = str(e).splitlines()[0] if str(e) else ""
    msg = re.sub(re.escape(CORPORA) + r"/\S+", "<file>", msg)
    msg = re.sub(r"'[^']{25,}'|\"[^\"]{25,}\"", "'…'", msg)  # keep short quoted names (tags, types)
    msg = re.sub(r"\b(line|column|col) \d+", r"\1 N", msg)
    msg = re.sub(r"\d+", "N", msg)
    return f"{type(e).__name__}: {msg[:110]}"


def main(selected=None):
    signal.signal(signal.SIGALRM, _alarm)
    out = {}
    for name, fn in PARSERS.items():
        if selected and name not in selected:
            continue
        out[name] = {}
        for setname, files in SETS.items():
            recs = []
            for path in files:
                t0 = time.perf_counter()
                signal.alarm(60)
                try:
                    size = fn(path)
                    ok, err = True, None
                except BaseException as e:  # noqa
                    if isinstance(e, KeyboardInterrupt):
                        raise
                    ok, size, err = False, None, reason(e)
                finally:
                    signal.alarm(0)
                dt = time.perf_counter() - t0
                recs.append(
                    {
                        "file": os.path.relpath(path, CORP),
                        "ok": ok,
                        "size": size,
                        "err": err,
                        "sec": dt,
                    }
                )
            out[name][setname] = recs
            nok = sum(r["ok"] for r in recs)
            print(f"{name:55s} {setname:15s} ok {nok}/{len(recs)}", flush=True)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.environ.get("OUT", RESULTS + "/bpmn_parse.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:] or None)
