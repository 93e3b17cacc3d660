"""A stand-in for a coding agent CLI (a real LLM agent cannot run in tests).
It reads the task JSON from stdin, writes a file for its phase in the current
directory, as an agent editing a repository would, and prints a summary.

Environment knobs for the tests:
  AGENT_LOG         append "start|end <phase> <time> <pid>" lines (to observe overlap)
  AGENT_SLEEP       seconds to work
  AGENT_SLEEP_ONCE  seconds to work the first time a phase runs (a marker file
                    next to AGENT_LOG remembers it); later runs use AGENT_SLEEP
  AGENT_CHATTER     print "working on <phase> step N" lines while working
  AGENT_FAIL        fail (exit 2) when the phase title contains this text
  AGENT_CONFLICT    write this text into shared.txt (two phases conflict)
  AGENT_NAME        shown in the output
  AGENT_TASK_FILE   write what it was given there (the task from stdin and
                    from BATON_TASK, its BATON_* environment, its directory)
"""

import json
import os
import sys
import time

task = json.load(sys.stdin)
phase = task["phase_id"]
log = os.environ.get("AGENT_LOG")


def note(event: str) -> None:
    if log:
        with open(log, "a") as out:
            out.write(f"{event} {phase} {time.time()} {os.getpid()}\n")


note("start")
if os.environ.get("AGENT_TASK_FILE"):
    given = {
        "stdin": task,
        "BATON_TASK": json.loads(os.environ["BATON_TASK"]),
        "env": {k: v for k, v in os.environ.items() if k.startswith("BATON_")},
        "cwd": os.getcwd(),
    }
    with open(os.environ["AGENT_TASK_FILE"], "w") as out:
        json.dump(given, out)
sleep = float(os.environ.get("AGENT_SLEEP", "0"))
if os.environ.get("AGENT_SLEEP_ONCE") and log:
    marker = f"{log}.{phase}.ran"
    if not os.path.exists(marker):
        open(marker, "w").close()
        sleep = float(os.environ["AGENT_SLEEP_ONCE"])
if os.environ.get("AGENT_CHATTER"):
    steps = max(1, int(sleep / 0.2))
    for n in range(steps):
        print(f"working on {phase} step {n}", flush=True)
        time.sleep(sleep / steps)
else:
    time.sleep(sleep)
fail = os.environ.get("AGENT_FAIL")
if fail and fail in task["title"]:
    print(f"cannot do {task['title']}: the build is broken", file=sys.stderr)
    note("end")
    sys.exit(2)
with open(f"{phase}.txt", "w") as out:
    out.write(task["title"] + "\n")
if os.environ.get("AGENT_CONFLICT") and task["title"].startswith("Feature"):
    with open("shared.txt", "w") as out:
        out.write(f"{phase} says {os.environ['AGENT_CONFLICT']}\n")
note("end")
print(f"{os.environ.get('AGENT_NAME', 'agent')} finished {task['title']}: wrote {phase}.txt")
