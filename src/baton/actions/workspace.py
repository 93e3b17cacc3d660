"""Project workspaces: each phase works in its own git worktree and branch;
finished phases are merged into the project branch in plan order; a failed or
rejected phase's branch and worktree are removed (its compensation). Without
a repository, each phase gets a plain directory."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from ..config import BatonFile
from ._agents import launch_agent, runnable_agent
from ._support import (
    OutputLog,
    agent_log_path,
    error_tail,
    heartbeating,
    non_retryable,
    run_process_group,
    tail,
)
from .types import ActionRequest
from .workspace_specs import (
    AgentPhase,
    WorkspaceCleanup,
    WorkspaceDiscard,
    WorkspaceLand,
    WorkspaceMerge,
    WorkspacePrepare,
)

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Baton",
    "GIT_AUTHOR_EMAIL": "baton@localhost",
    "GIT_COMMITTER_NAME": "Baton",
    "GIT_COMMITTER_EMAIL": "baton@localhost",
}


async def git(*args: str, cwd: str, check: bool = True, timeout: float = 120) -> str:
    result = await run_process_group(
        ["git", *args], stdin=None, env=GIT_IDENTITY, cwd=cwd, timeout_seconds=timeout
    )
    if check and result.exit_code != 0:
        raise ApplicationError(
            f"git {' '.join(args)} failed in {cwd}: {error_tail(result.stderr or result.stdout)}",
            type="GitFailed",
        )
    return result.stdout.strip()


async def _branch_exists(repo: str, branch: str) -> bool:
    return bool(await git("branch", "--list", branch, cwd=repo, check=False))


async def _remove_worktree(repo: str, path: str) -> None:
    if Path(path).exists():
        await git("worktree", "remove", "--force", path, cwd=repo, check=False)
        shutil.rmtree(path, ignore_errors=True)
    await git("worktree", "prune", cwd=repo, check=False)


async def _merged_phase(repo: str, project_branch: str, phase_id: str, digest: str) -> str | None:
    """The merge commit on the project branch that landed this phase with this
    digest (in an earlier run), or None."""
    if not digest or not await _branch_exists(repo, project_branch):
        return None
    log = await git(
        "log", "--merges", "--format=%H%x00%B%x1e", project_branch, cwd=repo, check=False
    )
    for entry in log.split("\x1e"):
        commit, _, body = entry.strip().partition("\x00")
        trailers = dict(
            line.split(": ", 1) for line in body.splitlines() if line.startswith("Baton-Phase")
        )
        if trailers.get("Baton-Phase") == phase_id and trailers.get("Baton-Phase-Digest") == digest:
            return commit
    return None


class WorkspaceActions:
    def __init__(self, baton_file: BatonFile, logs_dir: Path | None = None) -> None:
        self._baton_file = baton_file
        self._logs_dir = logs_dir

    def output_log(self, request: ActionRequest) -> OutputLog:
        """Where an agent's output goes while it runs (``baton logs``; the
        same path as ``TemporalWorkflowClient.log_path``)."""
        if self._logs_dir is None:
            return OutputLog(None)
        return OutputLog(agent_log_path(self._logs_dir, request.workflow_id, request.step_id))

    @activity.defn(name="baton.workspace_prepare")
    async def prepare(self, request: ActionRequest) -> dict[str, Any]:
        spec = WorkspacePrepare.from_action(request.action)
        repo, branch = spec.repository, spec.project_branch
        if not (Path(repo) / ".git").exists():
            raise non_retryable(
                f"{repo} is not a git repository (config.repository)", "NotARepository"
            )
        base = spec.base_branch or await git("rev-parse", "--abbrev-ref", "HEAD", cwd=repo)
        if not await _branch_exists(repo, branch):
            await git("branch", branch, base, cwd=repo)
        if not Path(spec.project_worktree).exists():
            Path(spec.project_worktree).parent.mkdir(parents=True, exist_ok=True)
            await git("worktree", "add", spec.project_worktree, branch, cwd=repo)
        return {
            "project_branch": branch,
            "base": base,
            "commit": await git("rev-parse", branch, cwd=repo),
        }

    @activity.defn(name="baton.agent_phase")
    async def run_phase(self, request: ActionRequest) -> dict[str, Any]:
        spec = AgentPhase.from_action(request.action)
        agent = runnable_agent(request.agent_type or "", self._baton_file)
        workspace, repo = spec.workspace, spec.repository
        if repo and spec.project_branch:
            merged = await _merged_phase(repo, spec.project_branch, request.step_id, spec.digest)
            if merged:  # an earlier run did this very phase and merged it
                return {
                    "agent": agent.name,
                    "workspace": workspace,
                    "reused": merged,
                    "summary": f"reused: merged in an earlier run as {merged[:12]}",
                    "commit": merged,
                }
        pid_file = _pid_file(workspace)
        _kill_leftover_agent(pid_file)  # from an attempt whose worker died
        if repo and spec.branch and spec.project_branch:
            # A retry starts from a clean worktree on a fresh branch.
            await _remove_worktree(repo, workspace)
            if await _branch_exists(repo, spec.branch):
                await git("branch", "-D", spec.branch, cwd=repo)
            Path(workspace).parent.mkdir(parents=True, exist_ok=True)
            await git(
                "worktree", "add", "-b", spec.branch, workspace, spec.project_branch, cwd=repo
            )
        else:
            Path(workspace).mkdir(parents=True, exist_ok=True)
        task = {
            "workflow_id": request.workflow_id,
            "phase_id": request.step_id,
            "title": spec.title,
            "prompt": spec.prompt,
            "workspace": workspace,
            "context": request.context,
        }
        log = self.output_log(request)
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            async with heartbeating(lambda: {"output": log.last_lines()}):
                result = await launch_agent(
                    agent,
                    request,
                    prompt=spec.prompt,
                    task=task,
                    cwd=workspace,
                    extra_env={"BATON_WORKSPACE": workspace},
                    output_log=log,
                    # its own process group: a worker that dies leaves the
                    # group id here for the next attempt to stop
                    on_start=lambda pid: _write_pid(pid_file, pid),
                )
        finally:
            log.close()
            pid_file.unlink(missing_ok=True)
        if result.exit_code != 0:
            raise ApplicationError(
                f"agent {agent.name} exited with {result.exit_code} in phase {spec.title!r}: "
                f"{error_tail(result.stderr or result.stdout, lines=15, limit=2000)}",
                type="AgentFailed",
            )
        output: dict[str, Any] = {
            "agent": agent.name,
            "workspace": workspace,
            "summary": tail(result.stdout.strip(), 2000),
        }
        if repo:
            await git("add", "-A", cwd=workspace)
            await git(
                "commit",
                "--allow-empty",
                "-q",
                "-m",
                f"{spec.title} ({agent.name})",
                cwd=workspace,
            )
            output["branch"] = spec.branch
            output["commit"] = await git("rev-parse", "HEAD", cwd=workspace)
            changed = await git(
                "diff", "--name-only", f"{spec.project_branch}...HEAD", cwd=workspace
            )
            output["changed_files"] = [line for line in changed.splitlines() if line]
        return output

    @activity.defn(name="baton.workspace_merge")
    async def merge(self, request: ActionRequest) -> dict[str, Any]:
        spec = WorkspaceMerge.from_action(request.action)
        repo, worktree, branch = spec.repository, spec.project_worktree, spec.branch
        head = await git("rev-parse", "HEAD", cwd=worktree)
        if not await _branch_exists(repo, branch) or await _is_ancestor(worktree, branch, head):
            merged = head  # already merged by an earlier attempt
        else:
            result = await run_process_group(
                [
                    "git",
                    "merge",
                    "--no-ff",
                    "--no-edit",
                    "-m",
                    f"Merge phase {spec.title}",
                    "-m",
                    f"Baton-Phase: {spec.phase_id}\nBaton-Phase-Digest: {spec.digest}",
                    branch,
                ],
                stdin=None,
                env=GIT_IDENTITY,
                cwd=worktree,
                timeout_seconds=120,
            )
            if result.exit_code != 0:
                conflicts = await git(
                    "diff", "--name-only", "--diff-filter=U", cwd=worktree, check=False
                )
                await git("merge", "--abort", cwd=worktree, check=False)
                files = [f for f in conflicts.splitlines() if f]
                if files:
                    raise non_retryable(
                        f"merging phase {spec.title!r} into {spec.project_branch} conflicts in: "
                        + ", ".join(files),
                        "MergeConflict",
                    )
                raise ApplicationError(
                    f"git merge {branch} failed: {error_tail(result.stderr or result.stdout)}"
                )
            merged = await git("rev-parse", "HEAD", cwd=worktree)
        await _remove_worktree(repo, spec.workspace)
        if await _branch_exists(repo, branch):  # merged: its commits live on in the project branch
            await git("branch", "-D", branch, cwd=repo)
        return {"merged": branch, "into": spec.project_branch, "commit": merged}

    @activity.defn(name="baton.workspace_discard")
    async def discard(self, request: ActionRequest) -> dict[str, Any]:
        spec = WorkspaceDiscard.from_action(request.action)
        # an agent whose worker died may still work here: stop it first, or
        # it writes on into the workspace being removed
        _kill_leftover_agent(_pid_file(spec.workspace))
        if not spec.repository:
            shutil.rmtree(spec.workspace, ignore_errors=True)
            return {"removed": spec.workspace}
        await _remove_worktree(spec.repository, spec.workspace)
        if spec.branch and await _branch_exists(spec.repository, spec.branch):
            await git("branch", "-D", spec.branch, cwd=spec.repository)
        return {"removed": spec.branch}

    @activity.defn(name="baton.workspace_cleanup")
    async def cleanup(self, request: ActionRequest) -> dict[str, Any]:
        """At the end of a project, whatever the outcome: remove the project's
        own worktree (the project branch stays, holding what was merged)."""
        spec = WorkspaceCleanup.from_action(request.action)
        repo, worktree = spec.repository, spec.project_worktree
        if Path(repo, ".git").exists():
            await _remove_worktree(repo, worktree)
        shutil.rmtree(worktree, ignore_errors=True)
        return {"removed": worktree}

    @activity.defn(name="baton.workspace_land")
    async def land(self, request: ActionRequest) -> dict[str, Any]:
        """Merge the project branch into the base branch, in the repository's
        own checkout: only when the base branch is checked out there and
        nothing is uncommitted, so nobody's work in progress is touched."""
        spec = WorkspaceLand.from_action(request.action)
        repo, branch, base = spec.repository, spec.project_branch, spec.base
        current = await git("rev-parse", "--abbrev-ref", "HEAD", cwd=repo)
        dirty = await git("status", "--porcelain", "--untracked-files=no", cwd=repo)
        how = f"land it yourself: git -C {repo} checkout {base} && git -C {repo} merge --no-ff {branch}"
        if current != base or dirty:
            raise non_retryable(
                f"cannot merge {branch} into {base}: {repo} has "
                + (f"{current} checked out" if current != base else "uncommitted changes")
                + f"; {how}",
                "LandRefused",
            )
        result = await run_process_group(
            ["git", "merge", "--no-ff", "--no-edit", "-m", f"Merge {branch}", branch],
            stdin=None,
            env=GIT_IDENTITY,
            cwd=repo,
            timeout_seconds=120,
        )
        if result.exit_code != 0:
            await git("merge", "--abort", cwd=repo, check=False)
            raise non_retryable(
                f"merging {branch} into {base} failed: "
                f"{error_tail(result.stderr or result.stdout)}; {how}",
                "LandFailed",
            )
        return {"merged": branch, "into": base, "commit": await git("rev-parse", "HEAD", cwd=repo)}


def _pid_file(workspace: str) -> Path:
    """Where a phase's running agent's process group id is kept (next to its
    workspace, so a worker that did not start it can stop it)."""
    return Path(workspace + ".agent.pid")


def _write_pid(pid_file: Path, pid: int) -> None:
    pid_file.write_text(str(pid))


def _kill_leftover_agent(pid_file: Path) -> None:
    """An agent started by a worker that was killed keeps running in its own
    process group; stop it before the phase starts again or is undone."""
    try:
        pgid = int(pid_file.read_text())
    except (OSError, ValueError):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)


async def _is_ancestor(cwd: str, branch: str, head: str) -> bool:
    result = await run_process_group(
        ["git", "merge-base", "--is-ancestor", branch, head],
        stdin=None,
        env=GIT_IDENTITY,
        cwd=cwd,
        timeout_seconds=60,
    )
    return result.exit_code == 0
