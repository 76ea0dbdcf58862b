"""The lock files (requirements/*.txt, made by `make lock`) pin everything pyproject.toml asks
for, at versions it allows, and agree with each other: an install from them is the one the
suite was run against."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def pins(name: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        if match := PIN.match(line):
            found[canonicalize_name(match[1])] = match[2]
    return found


def declared(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        ("runtime.txt", declared()),
        ("test.txt", declared() + declared("test")),
    ],
    ids=["runtime", "test"],
)
def test_every_dependency_is_pinned_within_its_bounds(
    lock: str, requirements: list[Requirement]
) -> None:
    pinned = pins(lock)
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is not pinned in requirements/{lock}: make lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"requirements/{lock} pins {name}=={pinned[name]}, outside {requirement}: make lock"
        )


def test_every_line_of_the_locks_carries_a_hash() -> None:
    for lock in ("runtime.txt", "test.txt"):
        text = (ROOT / "requirements" / lock).read_text()
        assert pins(lock), lock
        assert text.count("==") <= text.count("--hash=sha256:"), lock


def test_the_test_lock_keeps_the_runtime_versions() -> None:
    runtime, test = pins("runtime.txt"), pins("test.txt")
    assert {name: test.get(name) for name in runtime} == runtime


def test_the_build_backend_is_pinned_for_installs_without_build_isolation() -> None:
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    for lock in ("runtime.txt", "test.txt"):
        pinned = pins(lock)
        for requirement in map(Requirement, build):
            name = canonicalize_name(requirement.name)
            assert name in pinned and requirement.specifier.contains(pinned[name]), lock
