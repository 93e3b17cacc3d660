"""``baton identity``: the identity key, personal credentials, revocation."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

import typer
from rich.console import Console
from rich.table import Table

from ..config import Settings
from ..errors import BatonError, ConfigError
from ..identity.credentials import Credential, CredentialError
from ..identity.issuing import credential_rows, issue_credential, revoke
from ..identity.keys import create_key, load_credential, save_credential

identity_app = typer.Typer(
    help="Who decides approvals: the identity key, personal credentials, revocation "
    "(docs/approvals.md, 'Identity').",
    no_args_is_help=True,
)
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(exc: BatonError) -> typer.Exit:
    err_console.print(f"[red]error:[/] {exc}")
    return typer.Exit(2 if isinstance(exc, ConfigError) else 1)


def _when(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


@identity_app.command("init")
def init() -> None:
    """Create the identity key (once). Workers and whoever issues credentials
    need the same key: BATON_IDENTITY_KEY, or identity.key_file in baton.yaml."""
    settings = Settings.from_env()
    try:
        path, made = create_key(settings, settings.load_file().identity)
    except BatonError as exc:
        raise _fail(exc) from None
    console.print(f"{'created' if made else 'already there'}: {path} (mode 0600)")


@identity_app.command("issue")
def issue_command(
    principal: str = typer.Argument(..., help="who the credential is for (an approver id)"),
    ttl_days: float = typer.Option(None, "--ttl-days", help="lifetime (default 90 days)"),
    scope: list[str] = typer.Option(
        None,
        "--scope",
        help="decide (default), mcp (use as an MCP token), mcp:decide (decide through MCP); repeatable",
    ),
    save: bool = typer.Option(
        False, "--save", help="also sign in with it here (baton identity login)"
    ),
) -> None:
    """Mint a personal credential and print it (give it to its holder only)."""
    settings = Settings.from_env()
    try:
        credential = issue_credential(
            settings,
            settings.load_file(),
            principal,
            ttl_days=ttl_days,
            scopes=tuple(scope or ["decide"]),
        )
    except BatonError as exc:
        raise _fail(exc) from None
    sys.stdout.write(credential.token() + "\n")
    claims = credential.claims
    err_console.print(
        f"credential {claims.jti} for {claims.sub}, scopes {', '.join(claims.scopes)}, "
        f"expires {_when(claims.exp)}; the holder runs `baton identity login` with it "
        "(or sets BATON_CREDENTIAL)"
    )
    if save:
        err_console.print(f"saved to {save_credential(settings, credential)}")


@identity_app.command("login")
def login(
    token: str = typer.Argument("-", help="the credential (default: read it from stdin)"),
) -> None:
    """Keep your credential in $BATON_HOME/credential (mode 0600); CLI and
    Python API decisions are then signed with it."""
    settings = Settings.from_env()
    text = sys.stdin.read() if token == "-" else token
    try:
        credential = Credential.parse(text)
    except CredentialError as exc:
        err_console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    path = save_credential(settings, credential)
    console.print(f"signed in as {credential.principal} ({credential.claims.jti}); saved to {path}")


@identity_app.command("whoami")
def whoami() -> None:
    """Who this shell decides as, and the identity mode of baton.yaml here."""
    settings = Settings.from_env()
    try:
        credential = load_credential(settings)
        mode = settings.load_file().identity.mode
    except BatonError as exc:
        raise _fail(exc) from None
    console.print(f"identity mode here: {mode}")
    if credential is None:
        console.print("no credential: decisions name their approver with --as")
        return
    claims = credential.claims
    console.print(
        f"{claims.sub}: credential {claims.jti}, scopes {', '.join(claims.scopes)}, "
        f"expires {_when(claims.exp)}"
    )


@identity_app.command("revoke")
def revoke_command(
    credential_id: str = typer.Argument(None, help="a credential id (c-...)"),
    user: str = typer.Option(None, "--user", help="revoke every credential of this principal"),
) -> None:
    """Revoke a credential, or all of a principal's; workers refuse it within a second."""
    settings = Settings.from_env()
    try:
        console.print(
            revoke(settings, settings.load_file(), credential_id=credential_id, principal=user)
        )
    except BatonError as exc:
        raise _fail(exc) from None


@identity_app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json")) -> None:
    """Credentials issued here, and whether each is active, expired or revoked."""
    settings = Settings.from_env()
    try:
        rows = credential_rows(settings, settings.load_file())
    except BatonError as exc:
        raise _fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table()
    for column in ("credential", "principal", "scopes", "issued", "expires", "state"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["jti"],
            row["sub"],
            ", ".join(row["scopes"]),
            _when(row["iat"]),
            _when(row["exp"]),
            row["state"],
        )
    console.print(table)
