"""Summarise results/bpmn_parse.json into markdown tables (stdout)."""

import collections
import json
import os
import pathlib
import statistics

CORPORA = os.environ.get(
    "CORPORA", str(pathlib.Path(__file__).resolve().parents[3] / "shared" / "corpora")
)
RESULTS = os.environ.get("RESULTS", "/tmp/bpmn-eval/results")

d = json.load(open(os.environ.get("OUT", RESULTS + "/bpmn_parse.json")))
print("| parser | set | files | ok | fail | median ms/file | mean ms/file | ok but empty model |")
print("|---|---|---|---|---|---|---|---|")
for p, sets in d.items():
    for s, recs in sets.items():
        ok = [r for r in recs if r["ok"]]
        ms = [r["sec"] * 1000 for r in recs]
        empty = sum(1 for r in ok if not r["size"])
        print(
            f"| {p} | {s} | {len(recs)} | {len(ok)} | {len(recs) - len(ok)} | {statistics.median(ms):.1f} | {statistics.mean(ms):.1f} | {empty} |"
        )
print()
for p, sets in d.items():
    print(f"**{p}** top failure reasons")
    for s, recs in sets.items():
        c = collections.Counter(r["err"] for r in recs if not r["ok"])
        if c:
            print(f"- {s}: " + "; ".join(f"`{k}` ×{v}" for k, v in c.most_common(3)))
    print()
