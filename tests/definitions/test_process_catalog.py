"""Where ``run: workflow`` finds processes: the running file's directory,
then ``BATON_PROCESS_PATH`` in its order; ``latest`` is the highest
semantic version; other files are passed over, and unreadable ones noted."""

from __future__ import annotations

from pathlib import Path

import yaml

from baton.config import Settings
from baton.definitions.catalog import DirectoryCatalog


def put(folder: Path, file: str, name: str, version: str, marker: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    document = {"dsl": "1.0.0", "namespace": "ns", "name": name, "version": version}
    path = folder / file
    path.write_text(yaml.safe_dump({"document": document, "do": [{"x": {"set": {"m": marker}}}]}))
    return path


def test_latest_is_the_highest_semantic_version(tmp_path: Path) -> None:
    for version in ("1.9.0", "1.10.0", "2.0.0-rc.1", "0.1.0"):
        put(tmp_path, f"p-{version}.yaml", "p", version)
    catalog = DirectoryCatalog([tmp_path])
    found = catalog.find("ns", "p", "latest")
    assert found is not None and found[0]["document"]["version"] == "2.0.0-rc.1"
    put(tmp_path, "p-2.0.0.yaml", "p", "2.0.0")
    found = DirectoryCatalog([tmp_path]).find("ns", "p", "latest")
    assert found is not None and found[0]["document"]["version"] == "2.0.0"
    assert catalog.find("ns", "p", "1.9.0") is not None
    assert catalog.find("ns", "p", "3.0.0") is None
    assert catalog.find("other", "p", "latest") is None


def test_the_running_files_directory_comes_before_the_process_path(tmp_path: Path) -> None:
    here = put(tmp_path / "here", "main.yaml", "main", "1.0.0")
    put(tmp_path / "here", "child.yaml", "child", "1.0.0", marker="beside")
    put(tmp_path / "lib", "child.yaml", "child", "1.0.0", marker="library")
    put(tmp_path / "lib", "only.yaml", "only", "1.0.0", marker="library")
    settings = Settings.from_env({"BATON_PROCESS_PATH": f"{tmp_path / 'lib'}:{tmp_path / 'gone'}"})
    catalog = DirectoryCatalog.for_source(str(here), settings.process_path)
    child = catalog.find("ns", "child", "1.0.0")
    assert child is not None and child[0]["do"][0]["x"]["set"]["m"] == "beside"
    only = catalog.find("ns", "only", "latest")
    assert only is not None and only[1] == str(tmp_path / "lib" / "only.yaml")
    assert catalog.known() == ["ns/child:1.0.0", "ns/main:1.0.0", "ns/only:1.0.0"]
    assert any("gone: not a directory" in note for note in catalog.skipped)


def test_other_files_are_passed_over_and_broken_ones_noted(tmp_path: Path) -> None:
    put(tmp_path, "good.yaml", "good", "1.0.0")
    (tmp_path / "saga.yaml").write_text("name: a saga\nsteps: []\n")
    (tmp_path / "broken.yaml").write_text("document: [unclosed\n")
    (tmp_path / "notes.txt").write_text("not a definition")
    catalog = DirectoryCatalog([tmp_path])
    assert catalog.known() == ["ns/good:1.0.0"]
    assert [note.split(":")[0] for note in catalog.skipped] == [str(tmp_path / "broken.yaml")]


def test_a_document_given_as_data_has_only_the_process_path() -> None:
    assert DirectoryCatalog.for_source("<dict>").directories == []
    assert "BATON_PROCESS_PATH" in DirectoryCatalog.for_source("<dict>").describe()
