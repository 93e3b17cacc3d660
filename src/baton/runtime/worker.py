"""Assemble a worker: Baton's workflows and activities on its task queue, the
decision guard in front of approval decisions, and the refusal recorder."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import Worker, WorkerDeploymentConfig

from ..actions.executors import ActionSet
from ..actions.policy_guard import ActionPolicyGuard
from ..config import BatonFile, Settings
from ..engine.approval import HumanApprovalWorkflow
from ..engine.interpreter import ProcessWorkflow
from ..engine.operations import MonitorSweepWorkflow, RecoveryWorkflow
from ..engine.pools import PoolWorkflow
from ..engine.refusals import RefusalLogWorkflow
from ..engine.sweep import SweepWorkflow
from ..identity.keys import RevocationWatcher, load_key, require_key, revocations_path
from ..integrations.commands import CommandBus, parse_commands
from ..integrations.deadletters import keeping
from ..integrations.publisher import publishing
from ..integrations.replies import replying
from ..integrations.triggers import triggering
from ..monitoring.activities import OperationsActivities
from .decision_guard import DecisionGuard
from .queued import submitting
from .refusal_recorder import RefusalRecorder

MAX_CONCURRENT_ACTIVITIES = 200
HEARTBEAT_THROTTLE = timedelta(seconds=1)
STICKY_TIMEOUT = timedelta(seconds=2)
# every workflow a Baton worker runs, before a user's own (``extra_workflows``);
# `baton replay` checks recorded histories against the same set
BATON_WORKFLOWS: tuple[type, ...] = (
    ProcessWorkflow,
    HumanApprovalWorkflow,
    RefusalLogWorkflow,
    RecoveryWorkflow,
    MonitorSweepWorkflow,
    SweepWorkflow,
    PoolWorkflow,
)


def deployment_config(settings: Settings) -> WorkerDeploymentConfig | None:
    """The worker's Worker Deployment version (docs/upgrades.md, "Worker
    Versioning"): none without ``BATON_BUILD_ID``; with it, the build is
    recorded with every workflow task, and with ``BATON_WORKER_VERSIONING``
    pinned or auto-upgrade the server routes runs by it."""
    if settings.build_id is None:
        return None
    versioned = settings.worker_versioning != "off"
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(
            deployment_name=settings.deployment_name or settings.task_queue,
            build_id=settings.build_id,
        ),
        use_worker_versioning=versioned,
        default_versioning_behavior=(
            VersioningBehavior.PINNED
            if settings.worker_versioning == "pinned"
            else VersioningBehavior.AUTO_UPGRADE
            if versioned
            else VersioningBehavior.UNSPECIFIED
        ),
    )


@contextlib.asynccontextmanager
async def running_worker(
    client: Client,
    task_queue: str,
    baton_file: BatonFile,
    extra_workflows: Sequence[type] = (),
    *,
    settings: Settings | None = None,
    sticky_timeout: timedelta = STICKY_TIMEOUT,
) -> AsyncIterator[Worker]:
    """A worker polling ``task_queue`` for as long as the block runs.
    ``extra_workflows`` (a user's own ``@workflow.defn`` classes) run beside
    Baton's and can call its activities. ``settings`` (default: from the
    environment) gives the callback secret and the identity key;
    ``sticky_timeout`` is there for the recovery benchmark."""
    settings = settings or Settings.from_env()
    identity = baton_file.identity
    key = require_key(settings, identity) if identity.signed else load_key(settings, identity)
    recorder = RefusalRecorder(client, task_queue)
    guard = DecisionGuard(
        identity,
        key,
        RevocationWatcher(revocations_path(settings, identity)) if identity.signed else None,
        recorder,
    )
    commands = parse_commands(baton_file, settings)
    actions = ActionSet(
        baton_file,
        callback_secret=settings.callback_secret,
        identity_key=key,
        home=settings.home,
        redis_url=settings.redis_url,
        command_bus=CommandBus(commands) if commands is not None else None,
    )
    operations = OperationsActivities(baton_file, settings)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[*BATON_WORKFLOWS, *extra_workflows],
        activities=[
            *actions.activities,
            actions.pools.ended_runs,
            operations.recover,
            operations.monitor_sweep,
        ],
        interceptors=[guard, ActionPolicyGuard(baton_file.policy)],
        max_concurrent_activities=MAX_CONCURRENT_ACTIVITIES,
        # heartbeats reach the server at most this long after they are sent,
        # and a cancel is delivered in the answer to one: with the default
        # (0.8 x the heartbeat timeout: 24 s for 30 s) a cancelled agent ran on
        # for ~22 s; with 1 s it is stopped within about two
        max_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
        default_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
        # A workflow task for a worker that died waits this long on that
        # worker's own (sticky) queue before any worker may take it; the SDK's
        # 10 s default was most of the time a crashed worker's steps waited.
        sticky_queue_schedule_to_start_timeout=sticky_timeout,
        deployment_config=deployment_config(settings),
    )
    try:
        async with (
            recorder.running(),
            publishing(settings, baton_file, task_queue),
            keeping(settings, baton_file, task_queue),
            replying(settings, baton_file, client, settings.home),
            worker,
            triggering(settings, baton_file, client, settings.home),
            submitting(client, settings.home),
        ):
            yield worker
    finally:
        await actions.aclose()
