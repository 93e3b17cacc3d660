"""Every file in invalid/ must be rejected with exactly the messages it
names (``# expect:`` lines, or a sibling ``.expected`` file), each prefixed
by the file's path."""

from __future__ import annotations

from pathlib import Path

import pytest

from baton.errors import DefinitionError
from baton.plan import compile_file

INVALID = Path(__file__).parent / "invalid"
CASES = sorted(p for p in INVALID.iterdir() if p.suffix in (".yaml", ".yml", ".json"))


def expected_messages(path: Path) -> list[str]:
    sidecar = path.with_suffix(".expected")
    if sidecar.exists():
        return [line for line in sidecar.read_text().splitlines() if line.strip()]
    return [
        line.removeprefix("# expect: ")
        for line in path.read_text().splitlines()
        if line.startswith("# expect: ")
    ]


def test_the_folder_is_not_empty():
    assert len(CASES) >= 20


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_invalid_definition_is_rejected_with_its_message(path: Path):
    expected = expected_messages(path)
    assert expected, f"{path.name} names no expected message"
    with pytest.raises(DefinitionError) as info:
        compile_file(path)
    lines = str(info.value).splitlines()
    assert lines == [f"{path}: {message}" for message in expected]
