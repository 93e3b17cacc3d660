"""Compile approval definitions (files, the seed's ``request_human_approval``
arguments, saga ``approval`` steps) into an :class:`ApprovalSpec`, the input of
the approval workflow. Groups are expanded here, so a run keeps the members it
started with."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ..config import BatonFile
from ..definitions.approval import ApprovalDefinition, Stage
from ..definitions.loader import parse_model
from ..errors import DefinitionError, Issue
from .channels import channel_issues
from .model import APPROVAL_FORMAT_VERSION, ApprovalSpec, EscalationSpec, StageSpec

if TYPE_CHECKING:
    from .frontends import CompileContext

__all__ = [
    "APPROVAL",
    "APPROVAL_FORMAT_VERSION",
    "ApprovalSpec",
    "EscalationSpec",
    "StageSpec",
    "build_approval",
    "compile_approval",
    "expand_approvers",
    "new_approval_id",
]

GROUP_PREFIX = "group:"


def compile_approval(
    data: dict[str, Any], *, source: str = "<dict>", baton_file: BatonFile | None = None
) -> ApprovalSpec:
    """Validate an approval definition dict and build its spec."""
    definition = parse_model(ApprovalDefinition, data, source)
    issues: list[Issue] = []
    spec = build_approval(definition, baton_file or BatonFile(), issues)
    if issues:
        raise DefinitionError(source, issues)
    return spec


class _ApprovalFrontend:
    """An approval request or multi-stage chain (``stages``)."""

    kind = "approval"

    def recognises(self, data: dict[str, Any]) -> bool:
        return "stages" in data

    def compile(self, data: dict[str, Any], ctx: CompileContext) -> ApprovalSpec:
        return compile_approval(data, source=ctx.source, baton_file=ctx.baton_file)


APPROVAL = _ApprovalFrontend()


def build_approval(
    definition: ApprovalDefinition, baton_file: BatonFile, issues: list[Issue], prefix: str = ""
) -> ApprovalSpec:
    """The spec of a parsed definition; problems are appended to ``issues``
    with field paths under ``prefix``."""
    stages = [
        _stage_spec(stage, f"{prefix}stages[{index}]", baton_file, issues)
        for index, stage in enumerate(definition.stages)
    ]
    seen: dict[str, int] = {}
    for index, stage in enumerate(definition.stages):
        if stage.name in seen:
            issues.append(
                Issue(
                    f"{prefix}stages[{index}].name",
                    f"duplicate stage name {stage.name!r} (first used at {prefix}stages[{seen[stage.name]}])",
                )
            )
        seen.setdefault(stage.name, index)
    issues += channel_issues(definition.notify, f"{prefix}notify", baton_file)
    return ApprovalSpec(
        approval_id=definition.approval_id or new_approval_id(definition.stage),
        stage=definition.stage,
        description=definition.description,
        stages=stages,
        context=dict(definition.context),
        workflow_id=definition.workflow_id,
        notify=list(definition.notify),
        callback_url=definition.callback_url,
        notify_approvers=(
            definition.notify_approvers
            if definition.notify_approvers is not None
            else any(o.get("notify") for o in baton_file.identity.identities.values())
        ),
        inbox_index=baton_file.inbox_index,
    )


def new_approval_id(stage: str) -> str:
    slug = "".join(c if c.isalnum() or c in "-_" else "-" for c in stage.lower()).strip("-")
    return f"approval-{slug or 'request'}-{uuid.uuid4().hex[:8]}"


def _stage_spec(stage: Stage, path: str, baton_file: BatonFile, issues: list[Issue]) -> StageSpec:
    approvers = expand_approvers(stage.approvers, f"{path}.approvers", baton_file, issues)
    count = len(approvers)
    if stage.quorum == "any":
        quorum, label = 1, "any"
    elif stage.quorum == "all":
        quorum, label = max(count, 1), "all"
    else:
        quorum, label = stage.quorum, f"{stage.quorum} of {count}"
        if count and stage.quorum > count:
            issues.append(
                Issue(
                    f"{path}.quorum",
                    f"quorum {stage.quorum} is larger than the {count} approvers listed",
                )
            )
    if count and stage.reject_threshold > count:
        issues.append(
            Issue(
                f"{path}.reject_threshold",
                f"reject_threshold {stage.reject_threshold} is larger than the {count} approvers listed",
            )
        )
    escalation = None
    if stage.escalation is not None:
        esc = stage.escalation
        if stage.timeout_seconds is not None and esc.after_seconds >= stage.timeout_seconds:
            issues.append(
                Issue(
                    f"{path}.escalation.after_seconds",
                    f"escalation after {esc.after_seconds:g}s comes after the stage timeout "
                    f"({stage.timeout_seconds:g}s); escalate before the stage expires",
                )
            )
        added = expand_approvers(
            esc.add_approvers, f"{path}.escalation.add_approvers", baton_file, issues
        )
        issues += channel_issues(esc.notify, f"{path}.escalation.notify", baton_file)
        if not added and not esc.notify:
            issues.append(
                Issue(
                    f"{path}.escalation", "an escalation needs 'notify' channels or 'add_approvers'"
                )
            )
        escalation = EscalationSpec(
            after_seconds=esc.after_seconds, notify=list(esc.notify), add_approvers=added
        )
    return StageSpec(
        name=stage.name,
        approvers=approvers,
        quorum=quorum,
        quorum_label=label,
        reject_threshold=stage.reject_threshold,
        timeout_seconds=stage.timeout_seconds,
        on_timeout=stage.on_timeout,
        escalation=escalation,
        remind_every_seconds=stage.remind_every_seconds,
    )


def expand_approvers(
    entries: list[str], path: str, baton_file: BatonFile, issues: list[Issue]
) -> list[str]:
    """Users as given, ``group:name`` replaced by the group's members (order
    kept, duplicates dropped)."""
    users: list[str] = []
    for index, entry in enumerate(entries):
        entry = entry.strip()
        if not entry:
            issues.append(Issue(f"{path}[{index}]", "empty approver"))
        elif entry.startswith(GROUP_PREFIX):
            name = entry[len(GROUP_PREFIX) :]
            if name not in baton_file.groups:
                known = ", ".join(sorted(baton_file.groups)) or "none defined"
                issues.append(
                    Issue(
                        f"{path}[{index}]", f"unknown group {name!r}; groups in baton.yaml: {known}"
                    )
                )
                continue
            members = baton_file.groups[name]
            if not members:
                issues.append(
                    Issue(f"{path}[{index}]", f"group {name!r} has no members in baton.yaml")
                )
            users.extend(members)
        else:
            users.append(entry)
    return list(dict.fromkeys(users))
