"""mkdocs hook: the home page is the README; ``<!-- public-api: MODULE [except=OTHER] -->`` in a page becomes one mkdocstrings block per name
that MODULE exports, rendered from the object where it is defined, under its public name.

cnp_core and cnp_core.plugin export their names lazily (``_LAZY``: name -> defining module), so the
reference is generated from the same table the import system uses and cannot drift from it.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
from pathlib import Path
from typing import Any

MARKER = re.compile(r"<!-- public-api: ([\w.]+)(?: except=([\w.]+))? -->")


def _homes(module: str) -> dict[str, str]:
    """Each name ``module`` imports (eagerly or for type checkers) -> the module it comes from."""
    source = importlib.util.find_spec(module)
    assert source is not None and source.origin is not None
    tree = ast.parse(open(source.origin, encoding="utf-8").read())
    return {
        (alias.asname or alias.name): node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cnp_core.")
        for alias in node.names
    }


def _where(module: str, name: str) -> str:
    """The dotted path of the object ``module.name`` is (where it is defined)."""
    home = _homes(module).get(name)
    if home is None:
        raise ValueError(f"{module}.{name}: not imported from a cnp_core module, cannot document it")
    return f"{home}.{name}"


def _block(module: str, names: list[str]) -> str:
    parts = []
    for name in names:
        parts.append(
            f"::: {_where(module, name)}\n"
            "    options:\n"
            f'      heading: "{module}.{name}"\n'
            "      show_root_heading: true\n"
            "      show_root_full_path: false\n"
            "      heading_level: 2\n"
        )
    return "\n".join(parts)


def readme_as_index() -> str:
    """The repository README with its links made relative to the docs folder (the site's home page)."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    text = text.replace("](docs/", "](")
    text = text.replace("[CHANGELOG.md](CHANGELOG.md)", "`CHANGELOG.md` at the repository root")
    return text.replace("[`docs/`](index.md)", "this site")


def on_page_markdown(markdown: str, page: Any = None, **_: Any) -> str:
    if page is not None and page.file.src_uri == "index.md":
        return readme_as_index()

    def expand(match: re.Match[str]) -> str:
        module, other = match.group(1), match.group(2)
        names = list(importlib.import_module(module).__all__)
        shared = sorted(set(names) & set(importlib.import_module(other).__all__)) if other else []
        note = (
            f"Also exported here, documented under [`{other}`](library.md): " + ", ".join(f"`{n}`" for n in shared) + ".\n\n"
            if shared
            else ""
        )
        return note + _block(module, [n for n in names if n not in shared])

    return MARKER.sub(expand, markdown)
