"""The house plan (docs/architecture.md), checked: imports go one way, nothing outside a
package reaches into its private modules, and a long module says why it is one."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "archiver", "index", "bench", "tests")

# What each top-level package may import of the others. `app` composes `archiver` and
# `index`, which know nothing of each other; `bench` measures everything; only `tests` may
# use its own helpers.
MAY_IMPORT = {
    "app": {"archiver", "index"},
    "archiver": set(),
    "index": set(),
    "bench": {"app", "archiver", "index"},
    "tests": {"app", "archiver", "index", "bench"},
}
# Crossings allowed on purpose (none now: the migrations that make the PostgreSQL search
# tables write their statements out, see migration 0002's docstring).
ALLOWED_CROSSINGS: set[tuple[str, str]] = set()

LONG_MODULE = 420  # lines; "about 400" leaves room for a docstring to grow


def python_files() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def imported_modules(path: Path) -> Iterator[str]:
    """Every module an import statement in ``path`` names, ``from x import y`` as ``x.y``
    too (y may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def is_private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def owner(path: Path) -> str:
    return path.relative_to(ROOT).parts[0]


def test_imports_go_one_way() -> None:
    wrong = []
    for path in python_files():
        here = owner(path)
        relative = path.relative_to(ROOT).as_posix()
        for module in imported_modules(path):
            target = module.split(".")[0]
            if target not in PACKAGES or target == here or target in MAY_IMPORT[here]:
                continue
            if any(
                relative == where and (module == what or module.startswith(what + "."))
                for where, what in ALLOWED_CROSSINGS
            ):
                continue
            wrong.append(f"{relative} imports {module}")
    assert not wrong, "\n".join(wrong)


def test_nothing_outside_a_package_imports_its_private_modules() -> None:
    """`archiver` and `index` are used through their facades (their __init__ and public
    modules); their own tests (tests/archiver, tests/index) may look inside."""
    wrong = []
    for path in python_files():
        parts = path.relative_to(ROOT).parts
        for module in imported_modules(path):
            names = module.split(".")
            package = names[0]
            if package not in ("archiver", "index") or package == parts[0]:
                continue
            if parts[:2] == ("tests", package):
                continue
            if any(is_private(name) for name in names[1:]):
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("package", ["archiver", "index"])
def test_each_facade_names_its_public_surface(package: str) -> None:
    module = __import__(package)
    assert module.__all__, package
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing, f"{package}.__all__ names what it does not have: {missing}"


def test_a_long_module_says_why_it_is_one() -> None:
    unexplained = []
    for path in python_files():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") <= LONG_MODULE:
            continue
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if "on purpose" not in docstring:
            unexplained.append(f"{path.relative_to(ROOT)} ({text.count(chr(10))} lines)")
    assert not unexplained, (
        "modules over ~400 lines must say at their top why they are one module "
        "('... on purpose: ...'):\n" + "\n".join(unexplained)
    )
