"""One owner of the environment, one owner of the cache layout.

`hw3core/settings.py` is the only module that reads the environment (os.environ,
os.getenv); every other one is given a `Settings`, and a child's environment is written
through its `child_environment`. `hw3core/layout.py` is the only module that joins a path
onto the cache root or the project's `.hw3/` folder. Every module of both packages and
the book's render steps is read with `ast`, so a read hidden in a function counts too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from hw3core.settings import PROJECT_ROOT

MODULES = sorted(
    [*(PROJECT_ROOT / "src" / "hw3core").rglob("*.py"), *(PROJECT_ROOT / "src" / "hw3render").rglob("*.py"), *(PROJECT_ROOT / "report" / "_scripts").glob("*.py")]
)
ENVIRONMENT_OWNER = PROJECT_ROOT / "src" / "hw3core" / "settings.py"
LAYOUT_OWNER = PROJECT_ROOT / "src" / "hw3core" / "layout.py"
ENVIRONMENT_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}
CACHE_ROOTS = {"cache_dir"}  # a Settings field, passed to layout.CacheLayout and nowhere joined
STATE_FOLDER = re.compile(r"(^|[/\\])\.hw3([/\\]|$)")  # `.hw3` as a part of a path, not `window.hw3SearchIndex`


def _ids(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT))


def environment_reads(tree: ast.AST) -> list[int]:
    """Lines that touch the process environment: `os.environ`, `os.getenv`, ..., or import them from os."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ENVIRONMENT_NAMES and isinstance(node.value, ast.Name) and node.value.id == "os":
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os" and ENVIRONMENT_NAMES & {alias.name for alias in node.names}:
            lines.append(node.lineno)
    return lines


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes (a docstring may describe the layout)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def _is_cache_root(node: ast.AST) -> bool:
    """`cache_dir`, `settings.cache_dir`, or a layout's `root` (`settings.layout.root`)."""
    if isinstance(node, ast.Name):
        return node.id in CACHE_ROOTS
    if isinstance(node, ast.Attribute):
        if node.attr in CACHE_ROOTS:
            return True
        return node.attr == "root" and isinstance(node.value, ast.Attribute) and node.value.attr == "layout"
    return False


def layout_paths(tree: ast.AST) -> list[int]:
    """Lines that build a path from the cache root (`/`, an attribute such as `.parent` or
    `.glob`, `Path(root, ...)`, `os.path.join(root, ...)`), or name the `.hw3` folder."""
    lines = []
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and (_is_cache_root(node.left) or _is_cache_root(node.right)):
            lines.append(node.lineno)
        elif isinstance(node, ast.Attribute) and _is_cache_root(node.value):
            lines.append(node.lineno)
        elif isinstance(node, ast.Call) and len(node.args) > 1 and any(_is_cache_root(arg) for arg in node.args):
            lines.append(node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and STATE_FOLDER.search(node.value) and id(node) not in docstrings:
            lines.append(node.lineno)
    return lines


def parsed(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_every_module_is_read():
    assert ENVIRONMENT_OWNER in MODULES and LAYOUT_OWNER in MODULES
    assert PROJECT_ROOT / "src" / "hw3render" / "execute.py" in MODULES and PROJECT_ROOT / "report" / "_scripts" / "train.py" in MODULES


@pytest.mark.parametrize("path", [p for p in MODULES if p != ENVIRONMENT_OWNER], ids=_ids)
def test_only_settings_reads_the_environment(path: Path):
    lines = environment_reads(parsed(path))
    assert lines == [], f"{_ids(path)}:{lines[0]} reads the environment; take a Settings (hw3core.settings) instead"


@pytest.mark.parametrize("path", [p for p in MODULES if p != LAYOUT_OWNER], ids=_ids)
def test_only_layout_builds_paths_under_the_cache_or_hw3(path: Path):
    lines = layout_paths(parsed(path))
    assert lines == [], f"{_ids(path)}:{lines[0]} builds a path under the cache or .hw3/; ask hw3core.layout for it"


def test_the_owners_do_what_the_others_may_not():
    """The checks see the owners' own work, so a check that could never fail would show here."""
    assert environment_reads(parsed(ENVIRONMENT_OWNER)) and layout_paths(parsed(LAYOUT_OWNER))


def test_the_checks_see_reads_and_paths_hidden_anywhere(tmp_path: Path):
    module = tmp_path / "m.py"
    module.write_text(
        '"""A docstring may say .hw3/cache."""\n'
        "import os\n"
        "from os import getenv\n"
        "def f(settings, layout):\n"
        "    a = os.environ.get('HW3_X')\n"
        "    b = settings.cache_dir / 'datasets'\n"
        "    c = settings.cache_dir.parent\n"
        "    d = os.path.join(settings.cache_dir, 'kept')\n"
        "    e = Path('.hw3') / 'logs'\n"
        "    g = settings.layout.root / 'x'\n"
        "    h = 'window.hw3SearchIndex = ' + f'{root}/.hw3/logs'\n"
        "    return layout.CacheLayout(settings.cache_dir), str(settings.cache_dir), os.getpid()\n"
    )
    tree = parsed(module)
    assert environment_reads(tree) == [3, 5]
    assert sorted(set(layout_paths(tree))) == [6, 7, 8, 9, 10, 11]
