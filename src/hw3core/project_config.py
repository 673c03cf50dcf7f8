"""`_quarto.yml` merged with the active profile's `_quarto-<profile>.yml`, read once for both packages.

Quarto merges `_quarto-<profile>.yml` over `_quarto.yml` (maps key by key, everything
else replaced; https://quarto.org/docs/projects/profiles.html), and so does this reader.
The renderer (hw3render/config.py) reads the book from `raw`; the project's own `hw3:`
keys are kept apart, as the text each scalar was written with (`hw3_text`), because
YAML would otherwise turn an unquoted student number such as 0401234567 into an octal
int; `settings.book_keys` checks them. A file that is missing or is not YAML is one line
naming the file and the line of the error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import UserError
from .profiles import check_profile

HW3_SECTION = "hw3"


class ProjectConfigError(UserError):
    """`_quarto.yml` (or a profile's file) is missing or is not valid YAML."""


@dataclass(frozen=True)
class ProjectConfig:
    """The merged configuration: everything as YAML reads it, and `hw3:` as written.

    `hw3_origin` names the file each `hw3:` key came from, for error messages.
    """

    root: Path
    profile: str
    raw: dict[str, Any]
    hw3_text: dict[str, Any]
    hw3_origin: dict[str, str]


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Quarto's merge of a profile's file over `_quarto.yml`: maps key by key, the rest replaced."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _as_text(node: yaml.Node) -> Any:
    """A YAML node with every scalar as the text it was written with (None for an empty or null one)."""
    if isinstance(node, yaml.MappingNode):
        return {key.value: _as_text(value) for key, value in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_as_text(item) for item in node.value]
    return None if node.tag.endswith(":null") else node.value


def _read(path: Path, required: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """One file's document as YAML reads it, and its `hw3:` section as written."""
    if not path.is_file():
        if required:
            raise ProjectConfigError(f"{path} not found; run hw3 in the book's folder, or pass --root with the folder that holds _quarto.yml")
        return {}, {}
    loader = yaml.SafeLoader(path.read_text(encoding="utf-8"))
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        raise ProjectConfigError(f"{path} is not valid YAML{_where(error)}; fix that line") from None
    except yaml.YAMLError as error:
        raise ProjectConfigError(f"{path} is not valid YAML: {' '.join(str(error).split())}") from None
    finally:
        loader.dispose()
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ProjectConfigError(f"{path} holds a YAML {type(data).__name__}, not the map of settings Quarto reads; fix the file")
    section = next((value for key, value in node.value if key.value == HW3_SECTION), None)
    return data, (_as_text(section) if section is not None else {})


def _where(error: yaml.MarkedYAMLError) -> str:
    """' at line N: what went wrong', with the line of what it was inside when that began elsewhere."""
    problem, context = error.problem_mark, error.context_mark
    mark = problem or context
    text = f" at line {mark.line + 1}: {error.problem or error.context}" if mark is not None else f": {error.problem or error.context}"
    if error.problem and error.context and context is not None and (problem is None or context.line != problem.line):
        text += f" ({error.context} at line {context.line + 1})"
    return text


def read_project_config(root: Path, profile: str) -> ProjectConfig:
    """`root/_quarto.yml` merged with `root/_quarto-<profile>.yml` when that file exists."""
    check_profile(profile)
    raw: dict[str, Any] = {}
    hw3: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for name, required in (("_quarto.yml", True), (f"_quarto-{profile}.yml", False)):
        data, section = _read(root / name, required)
        raw = merge(raw, data)
        section = {} if section is None else section
        if not isinstance(section, dict):
            raise ProjectConfigError(f"{name}: hw3: must be a map of keys (student-name: ..., ...), not {type(section).__name__}")
        hw3 = {**hw3, **section}
        origin.update(dict.fromkeys(section, name))
    return ProjectConfig(root, profile, raw, hw3, origin)


def chapter_sources(raw: dict[str, Any]) -> list[tuple[Path, str | None]]:
    """`book: chapters:` in order, flattened: each chapter's path and the title of the part it is in, if any."""
    flat: list[tuple[Path, str | None]] = []
    for entry in (raw.get("book") or {}).get("chapters") or []:
        if isinstance(entry, dict):
            flat += [(Path(source), entry.get("part")) for source in entry.get("chapters", [])]
        else:
            flat.append((Path(entry), None))
    return flat
