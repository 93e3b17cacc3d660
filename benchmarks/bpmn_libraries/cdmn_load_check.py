"""cdmn 2.1.2 (+ idp-engine): does cdmn.API.DMN(path=...) load each TCK model? (own venv .venv-cdmn)"""

import collections
import glob
import os
import pathlib
import re

from cdmn.API import DMN

CORPORA = os.environ.get(
    "CORPORA", str(pathlib.Path(__file__).resolve().parents[3] / "shared" / "corpora")
)
RESULTS = os.environ.get("RESULTS", "/tmp/bpmn-eval/results")

c = collections.Counter()
ok = []
for p in sorted(glob.glob(CORPORA + "/dmn-tck/compliance-level-*/*/*.dmn")):
    try:
        DMN(path=p)
        ok.append(p.split("/")[-2])
    except Exception as e:
        c[
            f"{type(e).__name__}: {re.sub(chr(39) + '[^' + chr(39) + ']*' + chr(39), '…', str(e))[:90]}"
        ] += 1
print("loaded", len(ok), ok)
print("failed", sum(c.values()), c.most_common(4))
