"""One house, each room one job: the answer (hw3core) does not lean on the book renderer, and
only the commands look experiments up by name.

hw3render imports hw3core to run the chapters; hw3core must import nothing of hw3render,
nor the engines only a renderer drives (nbclient, Pandoc, Typst), so the answer installs,
imports and tests the same whether the book is built by Quarto or by `hw3 render`. Every
module is read with `ast`, so an import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hw3core.settings import PROJECT_ROOT

ANSWER = PROJECT_ROOT / "src" / "hw3core"
RENDERER_ONLY = ("hw3render", "nbclient", "nbformat", "jupyter_client", "pypandoc", "typst")


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name a file imports (a relative import stays inside its package)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_every_module_of_the_answer_is_read():
    modules = sorted(ANSWER.rglob("*.py"))
    assert ANSWER / "cli.py" in modules and ANSWER / "p3" / "study.py" in modules
    assert not (ANSWER / "render").exists(), "the renderer lives in src/hw3render/"


@pytest.mark.parametrize("path", sorted(ANSWER.rglob("*.py")), ids=lambda p: str(p.relative_to(ANSWER)))
def test_the_answer_imports_nothing_of_the_renderer(path: Path):
    leaning = sorted(name for name in imported_modules(path) if name.split(".")[0] in RENDERER_ONLY)
    assert leaning == [], f"{path.relative_to(PROJECT_ROOT)} imports {', '.join(leaning)}"


def test_the_check_sees_an_import_hidden_in_a_function(tmp_path: Path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from hw3render.config import load_book\n    import nbclient.client\n    from . import x\n")
    assert imported_modules(module) == {"hw3render.config", "nbclient.client"}


# The modules that take experiment names from a user or a chapter list (the table of runs
# lists a chapter's experiments), and the registry itself.
LOOKS_UP_BY_NAME = {"hw3core.registry", "hw3core.cli", "hw3core.training_plan", "hw3core.rehearsal", "hw3core.runs"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ANSWER.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def resolved_imports(path: Path) -> set[str]:
    """Every module a file imports, relative imports made absolute, `from x import y` counted as x and x.y."""
    package = module_name(path).rsplit(".", 0 if path.name == "__init__.py" else 1)[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted(ANSWER.rglob("*.py")), ids=lambda p: str(p.relative_to(ANSWER)))
def test_only_the_commands_import_the_registry(path: Path):
    """The registry imports every study; a study (or anything it imports) that imported it back
    would be a cycle, and would put every study's code into every experiment's code hash."""
    if module_name(path) not in LOOKS_UP_BY_NAME:
        assert "hw3core.registry" not in resolved_imports(path), f"{path.relative_to(PROJECT_ROOT)} imports the registry"


def test_relative_imports_are_resolved():
    assert {"hw3core.registry", "hw3core.experiments", "hw3core.experiments.Experiment"} <= resolved_imports(ANSWER / "training_plan.py")
    assert {"hw3core.experiments", "hw3core.experiments.by_name", "hw3core.p1.models"} <= resolved_imports(ANSWER / "p1" / "study.py")
    assert "hw3core.p1.study" in resolved_imports(ANSWER / "registry.py")
