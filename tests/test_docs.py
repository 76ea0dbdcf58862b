"""The documentation matches the code (as datasette checks its own docs).

Every setting and every `linkvault` command (with its options) is documented in docs/, every
route docs/http-api.md names exists and every route of the app is in it, the README stays a
short page, and no relative link in the README or docs/ points at a missing file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from fastapi import FastAPI

import app.cli
from app.main import create_app
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_MAX_BYTES = 8192

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# "GET /api/links/{id}" anywhere in http-api.md: in a heading, a table or the text.
DOCUMENTED_ROUTE = re.compile(rf"\b({'|'.join(METHODS)}) (/[^\s`?#)\]]*)")
# A markdown link's target: [text](target) or ![alt](target).
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
# Code blocks and spans, where `[title](url)` is an example, not a link.
CODE = re.compile(r"^```.*?^```|`[^`\n]*`", re.M | re.S)


def doc_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def docs_text() -> str:
    return "\n".join(page.read_text(encoding="utf-8") for page in doc_pages())


# -- settings --------------------------------------------------------------------------------


def setting_variables() -> dict[str, str]:
    """Each field of Settings and the environment variable it is read from."""
    prefix = Settings.model_config.get("env_prefix", "")
    variables = {}
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias or field.alias
        variables[name] = alias if isinstance(alias, str) else f"{prefix}{name}".upper()
    return variables


def test_every_setting_is_documented() -> None:
    # A row of the settings table in docs/operations.md: | `LINKVAULT_X` | default | meaning |
    table = (DOCS / "operations.md").read_text(encoding="utf-8")
    missing = [
        variable
        for variable in setting_variables().values()
        if not re.search(rf"^\| `{variable}` \|", table, re.M)
    ]
    assert missing == [], "settings missing from the table in docs/operations.md"


def test_every_documented_setting_exists() -> None:
    text = docs_text() + README.read_text(encoding="utf-8")
    documented = set(re.findall(r"`(LINKVAULT_[A-Z_]+)`", text))
    assert documented <= set(setting_variables().values())


# -- commands --------------------------------------------------------------------------------


def commands() -> dict[str, Any]:
    # Duck-typed: recent Typer builds on a click of its own (typer._click), not `click`.
    group = typer.main.get_command(app.cli.cli)
    return dict(getattr(group, "commands", {}))


def command_sections() -> dict[str, str]:
    """The user guide's text under each "### `linkvault COMMAND`" heading."""
    guide = (DOCS / "user-guide.md").read_text(encoding="utf-8")
    parts = re.split(r"^#{2,3} `linkvault (\w[\w-]*)`\s*$", guide, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_command_is_documented() -> None:
    assert commands(), "no commands found"
    missing = sorted(set(commands()) - set(command_sections()))
    assert missing == [], "commands without a section in docs/user-guide.md"


def test_every_documented_command_exists() -> None:
    assert sorted(set(command_sections()) - set(commands())) == []


def test_every_option_is_documented_with_its_command() -> None:
    sections = command_sections()
    missing = [
        f"linkvault {name} {option}"
        for name, command in commands().items()
        for param in command.params
        if param.param_type_name == "option" and not getattr(param, "hidden", False)
        for option in param.opts + param.secondary_opts
        if option != "--help" and option not in sections.get(name, "")
    ]
    assert missing == [], "options missing from their command's section of docs/user-guide.md"


# -- routes ----------------------------------------------------------------------------------


def _normalise(path: str) -> str:
    # Path parameters by position, whatever their names: /links/{link_id} == /links/{id}.
    return re.sub(r"\{[^}]*\}", "{}", path)


def _walk(routes: Iterable[Any], prefix: str = "", hidden: bool = False) -> Iterator[Any]:
    for route in routes:
        router = getattr(route, "original_router", None)
        if router is not None:  # an included router, kept whole by newer FastAPI versions
            context = route.include_context
            hide = hidden or not getattr(context, "include_in_schema", True)
            yield from _walk(router.routes, prefix + getattr(context, "prefix", ""), hide)
        elif getattr(route, "methods", None):  # not a mount (/static)
            yield (
                prefix + route.path,
                set(route.methods),
                hidden or not getattr(route, "include_in_schema", True),
            )


def app_routes(application: FastAPI) -> dict[tuple[str, str], bool]:
    """(METHOD, path) of every route, and whether it is in the OpenAPI schema."""
    found: dict[tuple[str, str], bool] = {}
    for path, methods, hidden in _walk(application.routes):
        # Starlette answers HEAD wherever it answers GET; HEAD alone is a route of its own.
        for method in methods - {"HEAD"} if "GET" in methods else methods:
            found[(method, _normalise(path))] = not hidden
    return found


def documented_routes() -> set[tuple[str, str]]:
    text = (DOCS / "http-api.md").read_text(encoding="utf-8")
    return {(method, _normalise(path)) for method, path in DOCUMENTED_ROUTE.findall(text)}


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], bool]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"))  # type: ignore[call-arg]
    application = create_app(settings)
    found = app_routes(application)
    # The schema is FastAPI's public account of the JSON routes: the walk must agree with it.
    for path, operations in application.openapi()["paths"].items():
        for method in operations:
            assert found.get((method.upper(), _normalise(path))) is True, (method, path)
    return found


def test_every_documented_route_exists(routes: dict[tuple[str, str], bool]) -> None:
    documented = documented_routes()
    assert ("GET", "/api/search") in documented
    # HEAD is answered wherever GET is.
    unknown = {
        (method, path)
        for method, path in documented
        if (method, path) not in routes and not (method == "HEAD" and ("GET", path) in routes)
    }
    assert unknown == set(), "routes in docs/http-api.md that the app does not have"


def test_every_route_is_documented(routes: dict[tuple[str, str], bool]) -> None:
    undocumented = set(routes) - documented_routes()
    assert undocumented == set(), "routes missing from docs/http-api.md"


# -- pages and links -------------------------------------------------------------------------


def test_readme_is_short() -> None:
    size = len(README.read_bytes())
    assert size <= README_MAX_BYTES, f"README.md is {size} bytes; move detail into docs/"


def test_relative_links_point_at_files() -> None:
    broken = []
    for page in [README, *doc_pages()]:
        for target in LINK.findall(CODE.sub("", page.read_text(encoding="utf-8"))):
            if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue  # an address elsewhere, or a place on the same page
            linked = (page.parent / target.split("#")[0]).resolve()
            if not linked.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []


def test_architecture_names_modules_that_exist() -> None:
    """docs/architecture.md walks the code module by module: every path it names is there,
    and every package module of app/, archiver/ and index/ is named."""
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:app|archiver|index|bench|tests)/[\w/.]*?)`", text))
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert missing == [], f"docs/architecture.md names paths that do not exist: {missing}"
    unnamed = [
        str(module.relative_to(ROOT))
        for package in ("app", "archiver", "index")
        for module in sorted((ROOT / package).rglob("*.py"))
        if module.name not in ("__init__.py", "__main__.py")
        and "migrations" not in module.parts
        and module.name not in text
    ]
    assert unnamed == [], f"docs/architecture.md does not say what these are for: {unnamed}"
