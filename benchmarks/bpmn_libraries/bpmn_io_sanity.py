"""Sanity check of bpmn-io's model: elements_by_id vs the ids lxml sees; and its warnings."""

import collections
import glob
import os
import pathlib

from bpmn_io import BpmnModdle
from lxml import etree

CORPORA = os.environ.get(
    "CORPORA", str(pathlib.Path(__file__).resolve().parents[3] / "shared" / "corpora")
)
RESULTS = os.environ.get("RESULTS", "/tmp/bpmn-eval/results")

C = CORPORA + "/bpmn"
files = sorted(
    glob.glob(f"{C}/miwg/Reference/*.bpmn")
    + glob.glob(f"{C}/miwg/vendor-sample/*/*.bpmn")
    + [p for p in glob.glob(f"{C}/betsy/models/*/*.bpmn") if "/bpmn_constraints/" not in p]
)
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
eq = lt = 0
warn = collections.Counter()
nwarn_files = 0
missing = collections.Counter()
for p in files:
    try:
        tree = etree.parse(p)
    except Exception:
        continue
    ids = {
        e.get("id")
        for e in tree.iter()
        if isinstance(e.tag, str) and e.get("id") and e.tag.startswith("{" + BPMN)
    }
    r = BpmnModdle().from_xml(open(p, encoding="utf-8").read())
    got = set(r.elements_by_id)
    if ids <= got:
        eq += 1
    else:
        lt += 1
        for i in ids - got:
            el = tree.xpath(f'//*[@id="{i}"]')[0]
            missing[etree.QName(el).localname] += 1
    if r.warnings:
        nwarn_files += 1
    for w in r.warnings:
        warn[w.message.split(":")[0][:60]] += 1
print(
    f"files={eq + lt}  all BPMN-namespace ids present in elements_by_id: {eq}; some missing: {lt}"
)
print("missing element kinds:", missing.most_common(5))
print("files with warnings:", nwarn_files, "top:", warn.most_common(4))
