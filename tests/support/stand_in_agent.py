"""A stand-in for an agent CLI (a real LLM agent cannot run in tests): reads
the task JSON from stdin, writes a file in its working directory the way a
coding agent would, and prints a JSON result."""

import json
import os
import sys

task = json.load(sys.stdin)
prompt = sys.argv[1] if len(sys.argv) > 1 else ""
if task["action"].get("fail"):
    print("agent could not do it", file=sys.stderr)
    sys.exit(3)
name = task["step_id"].strip("/").replace("/", "_")  # a process's step ids are JSON pointers
with open(os.path.join(os.getcwd(), f"{name}.{task['phase']}.txt"), "w") as out:
    out.write(prompt)
print(
    json.dumps(
        {
            "agent": os.environ.get("AGENT_NAME", "?"),
            "step": task["step_id"],
            "phase": task["phase"],
            "prompt_first_line": prompt.splitlines()[0] if prompt else "",
        }
    )
)
