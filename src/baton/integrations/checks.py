"""``baton validate``'s look at the worker's integration sections of
baton.yaml (``events``, ``triggers``, ``commands``, ``circuit_breakers``):
each parsed exactly as a worker parses it at start, so a mistake is found
before a worker refuses to start. Nothing is connected to."""

from __future__ import annotations

from pathlib import Path

from ..config import BatonFile, Settings
from ..errors import ConfigError, DefinitionError


async def check_integrations(settings: Settings, baton_file: BatonFile) -> list[str]:
    """What the sections configure, one line each; raises
    :class:`ConfigError` naming the first thing wrong."""
    from ..actions.breakers import parse_breakers
    from ..definitions.loader import read_document
    from .commands import parse_commands
    from .publisher import configured_sinks
    from .triggers import parse_triggers

    where = str(baton_file.path or "baton.yaml")
    found: list[str] = []
    sinks = configured_sinks(settings, baton_file)
    for sink in sinks:
        found.append(f"events to {sink.name}")
        await sink.close()
    folder = baton_file.path.parent if baton_file.path else Path.cwd()
    for index, trigger in enumerate(parse_triggers(baton_file)):
        if trigger.start is not None:
            try:
                read_document((folder / trigger.start).resolve())
            except DefinitionError as exc:
                raise ConfigError(f"{where}: triggers[{index}].start: {exc}") from None
        what = f"starts {trigger.start}" if trigger.start else f"delivers {trigger.event_type}"
        found.append(f"trigger {trigger.name}: {trigger.source.type} {what}")
    commands = parse_commands(baton_file, settings)
    if commands is not None:
        subjects = ", ".join(commands.subjects) or "none allowed yet"
        found.append(
            f"commands over {commands.transport}, replies on {commands.replies} ({subjects})"
        )
    if parse_breakers(baton_file.circuit_breakers, where, settings.redis_url) is not None:
        found.append("circuit breakers")
    return found
