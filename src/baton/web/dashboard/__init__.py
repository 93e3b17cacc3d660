"""The web dashboard (docs/dashboard.md): runs, approvals and operations in
a browser, served by ``baton up`` and ``baton dashboard`` over the same client
as the CLI and the MCP server."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import TYPE_CHECKING

from ...config import BatonFile, Settings
from ...errors import ConfigError
from ..listen import Listen, choose_listen, is_loopback

if TYPE_CHECKING:
    from temporalio.client import Client

    from ...runtime.client import TemporalWorkflowClient

DEFAULT_LISTEN = "127.0.0.1:8780"


def dashboard_listen(
    settings: Settings, baton_file: BatonFile, given: str | None = None
) -> Listen | None:
    """``given`` (``--listen``), else ``BATON_DASHBOARD_LISTEN``, else
    ``dashboard.listen`` in baton.yaml, else 127.0.0.1:8780; None for ``off``."""
    return choose_listen(
        [
            (given, "--listen"),
            (settings.dashboard_listen, "BATON_DASHBOARD_LISTEN"),
            (baton_file.dashboard.listen, f"dashboard.listen in {baton_file.path}"),
        ],
        DEFAULT_LISTEN,
        "the dashboard address",
    )


def open_dashboard(listen: Listen, baton_file: BatonFile) -> socket.socket:
    """The dashboard's listening socket, after the rule that trusted mode
    (no identities: anyone may decide as anyone) serves only on loopback."""
    if not baton_file.identity.signed and not is_loopback(listen.host):
        raise ConfigError(
            f"the dashboard serves {listen.host} only in signed identity mode: in trusted mode "
            "anyone reaching it could decide as anyone. List identities in baton.yaml "
            "(docs/approvals.md, Identity) or serve it on 127.0.0.1"
        )
    return listen.bind("the dashboard", "BATON_DASHBOARD_LISTEN", "dashboard.listen")


def dashboard_client(
    settings: Settings, baton_file: BatonFile, temporal: Client | None = None
) -> TemporalWorkflowClient:
    """The dashboard's own client: runs it starts are the ``dashboard`` entry
    point's (execution policy), and it decides only with a signed-in
    person's credential, never the server process's own."""
    from ...runtime.client import TemporalWorkflowClient

    return TemporalWorkflowClient(
        settings, temporal=temporal, via="dashboard", baton_file=baton_file, find_credential=False
    )


async def serve_dashboard(
    client: TemporalWorkflowClient,
    sock: socket.socket,
    *,
    host: str = "127.0.0.1",
    definitions: Path | None = None,
) -> None:
    """Serve the dashboard on ``sock`` (listening on ``host``) until cancelled."""
    from ...identity.verifying import credential_verifier
    from ..listen import serve_in_process
    from .app import build_dashboard_app
    from .sessions import Sessions

    config = client.baton_file.dashboard
    identity = client.baton_file.identity
    verifier = credential_verifier(client.settings, scope="decide") if identity.signed else None
    if identity.signed and verifier is None:
        raise ConfigError(
            "the dashboard needs the identity key to check sign-ins in signed identity mode "
            "(BATON_IDENTITY_KEY or identity.key_file)"
        )
    app = build_dashboard_app(
        client,
        Sessions(identity, verifier),
        definitions_folder=definitions or config.definitions,
        hosts=allowed_hosts(host, config.hosts),
    )
    await serve_in_process(app, sock=sock)


def allowed_hosts(listen_host: str, configured: tuple[str, ...]) -> tuple[str, ...] | None:
    """The names the dashboard answers to: loopback's and its own address,
    plus ``dashboard.hosts``; any name when it serves beyond loopback with
    none configured (signed mode: nothing without a sign-in)."""
    from .app import host_name

    if not is_loopback(listen_host) and not configured:
        return None
    own = host_name(listen_host if ":" not in listen_host else f"[{listen_host}]")
    return tuple(dict.fromkeys(("127.0.0.1", "localhost", "::1", own, *configured)))
