"""Rules of where code lives that a reviewer would otherwise have to remember (issue 17)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.sources import PACKAGES, ROOT, python_files

# The top of the project: the URL tree mounts every app's views.
TOP = {ROOT / "portal" / "urls.py"}


def _imported_modules(path: Path) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.append(node.module)
            modules += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
    return modules


def _is_views_module(module: str) -> bool:
    parts = module.split(".")
    return len(parts) >= 2 and parts[0] in PACKAGES and "views" in parts[1].split("_")


def test_no_app_imports_the_views_of_another_app() -> None:
    """A helper that pages of several apps need goes to a small module at the bottom
    (core/http.py), not into the views of the first app that wrote it."""
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files()
        if path not in TOP
        for module in _imported_modules(path)
        if _is_views_module(module) and module.split(".")[0] != path.relative_to(ROOT).parts[0]
    ]

    assert offenders == []


def test_the_check_sees_an_import_of_another_apps_views(tmp_path: Path) -> None:
    source = tmp_path / "sms.py"
    source.write_text("from accounts.views import wait_message\nimport billing.views.products\n")

    imported = _imported_modules(source)

    assert [m for m in imported if _is_views_module(m)] == [
        "accounts.views",
        "accounts.views.wait_message",
        "billing.views.products",
    ]


def test_the_bottom_layer_imports_no_app() -> None:
    """`core/` is what every app may use: it names the user through settings.AUTH_USER_MODEL and
    an organization by its id, and imports neither an app nor the top (`portal/`)."""
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files(["core"])
        for module in _imported_modules(path)
        if module.split(".")[0] in PACKAGES and module.split(".")[0] != "core"
    ]

    assert offenders == []


def test_no_app_imports_the_top() -> None:
    """`portal/` (settings, URLs, CLI, demo, admin site) knows every app; no app may know it,
    or the layers would have a cycle."""
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files([p for p in PACKAGES if p != "portal"])
        for module in _imported_modules(path)
        if module.split(".")[0] == "portal"
    ]

    assert offenders == []


# Which packages each may import (ARCHITECTURE.md, "Layers"): dependencies point down only.
MAY_IMPORT = {
    "core": set(),
    "accounts": {"core"},
    "organizations": {"core", "accounts"},
    "security": {"core", "accounts", "organizations"},
    "tokens": {"core", "accounts", "organizations"},
    "billing": {"core", "accounts", "organizations"},
    "tags": {"core", "accounts", "organizations", "billing", "tokens"},
    "offers": {"core", "accounts", "organizations", "tokens"},
    "portal": set(PACKAGES) - {"portal"},
}


def test_dependencies_point_down_only() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for package in PACKAGES
        for path in python_files([package])
        for module in _imported_modules(path)
        if module.split(".")[0] in PACKAGES
        and module.split(".")[0] != package
        and module.split(".")[0] not in MAY_IMPORT[package]
    ]

    assert offenders == []
