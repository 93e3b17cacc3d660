"""A stand-in for a planner agent CLI (a real LLM cannot run in tests): it
prints PLANNER_OUTPUT if set, else a plan derived from the spec on stdin."""

import json
import os
import sys

task = json.load(sys.stdin)
if "PLANNER_OUTPUT" in os.environ:
    print(os.environ["PLANNER_OUTPUT"])
    sys.exit(0)
requirements = task["spec"]["requirements"]
phases = [{"id": "schema", "title": "Database schema", "agent": "AIDER", "depends_on": []}]
phases += [
    {"id": f"r{i}", "title": r, "depends_on": ["schema"]} for i, r in enumerate(requirements, 1)
]
print("Here is the plan:\n```json\n" + json.dumps({"phases": phases}) + "\n```")
