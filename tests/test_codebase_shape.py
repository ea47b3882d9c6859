"""The codebase's shape, checked: a small public API, thin commands, the old module paths.

- the other packages (and the tests of those packages) import only ``cnp_core``, ``cnp_core.plugin``
  and ``cnp_core.testing``; cnp-core's own tests (``tests/core``, alone, and ``tests/integration``,
  with the stock plugins) may reach its internals; any other white-box test says why below;
- each package's test folder has its conftest, and the root one imports no package but cnp_core;
- every ``cnp`` command body is a short call into a public function (no private import, at most
  ``MAX_BODY`` lines of its own besides rendering helpers);
- a 0.1 module path still imports, warns, and is the same module as its new home.
"""

from __future__ import annotations

import ast
import importlib
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = {"cnp_core", "cnp_core.plugin", "cnp_core.testing"}
MAX_BODY = 40

#: tests outside tests/core that check a core internal directly, and why (everything else: public API)
WHITE_BOX = {
    "tests/cli/test_safe_outputs.py": "the patch cache's eviction and the paired bootstrap, at their own level",
    "tests/cli/test_bad_input.py": "the output layer's OS-error wording, epoch parsing, device resolution",
    "tests/cli/test_third_party.py": "a third-party head through the inference engine and the trainer's weights",
    "tests/cli/test_plugin_platform.py": "a fresh plugin host per test (build_host/set_host)",
    "tests/h36m/test_oracle.py": "the engine and crop against the official transforms, sample by sample",
    "tests/h36m/test_split.py": "the engine on a parsed split",
    "tests/h36m/test_official_baseline.py": "the crop, soft-argmax and engine against the official code",
    "tests/h36m/test_transforms.py": "crop and pose arithmetic against hand-worked values",
    "tests/mupots/test_dataset.py": "the reference's own box processing",
    "tests/alone/exercise.py": "reads checkpoints at the lowest level with cnp-core alone installed",
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m == "cnp_core" or m.startswith("cnp_core.")}


def _sources(*folders: str) -> list[Path]:
    built = ("build", "dist", ".nox", ".venv")  # build outputs are copies, not sources
    return sorted(
        p
        for f in folders
        for p in (ROOT / f).rglob("*.py")
        if ".egg-info" not in str(p) and not set(p.relative_to(ROOT).parts) & set(built)
    )


@pytest.mark.parametrize(
    "package", ["packages/cnp-heads", "packages/cnp-h36m", "packages/cnp-mupots", "packages/cnp-cli", "tests/plugins"]
)
def test_other_packages_use_only_the_public_api(package: str) -> None:
    private = {str(p.relative_to(ROOT)): sorted(_imports(p) - PUBLIC) for p in _sources(package)}
    assert {k: v for k, v in private.items() if v} == {}


def test_tests_outside_core_use_the_public_api_or_say_why() -> None:
    private = {
        str(p.relative_to(ROOT)): sorted(_imports(p) - PUBLIC)
        for p in _sources("tests")
        if not str(p.relative_to(ROOT)).startswith(("tests/core/", "tests/integration/", "tests/plugins/"))
    }
    unexplained = {k: v for k, v in private.items() if v and k not in WHITE_BOX}
    assert unexplained == {}
    stale = [k for k in WHITE_BOX if not private.get(k)]
    assert stale == []  # a file that no longer needs internals leaves the list


def test_each_package_folder_has_its_conftest_and_the_root_one_needs_cnp_core_alone() -> None:
    folders = ("core", "heads", "h36m", "cli", "mupots", "integration")
    assert [f for f in folders if not (ROOT / "tests" / f / "conftest.py").is_file()] == []
    top = ast.parse((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8")).body
    imported = {n.module for n in top if isinstance(n, ast.ImportFrom)} | {
        a.name for n in top if isinstance(n, ast.Import) for a in n.names
    }
    assert [m for m in imported if m and m.startswith("cnp_") and m != "cnp_core"] == []


def _command_functions() -> list[tuple[str, ast.FunctionDef]]:
    found = []
    for path in _sources("packages/cnp-cli/src/cnp_cli/commands"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.endswith("_command"):
                found.append((f"{path.name}:{node.name}", node))
    return found


def test_every_command_body_is_a_short_call_into_the_public_api() -> None:
    commands = _command_functions()
    assert len(commands) >= 10
    long = {}
    for name, node in commands:
        body = node.body[1:] if isinstance(node.body[0], ast.Expr) else node.body  # without the docstring
        lines = body[-1].end_lineno - body[0].lineno + 1  # type: ignore[operator]
        if lines > MAX_BODY:
            long[name] = lines
    assert long == {}


def test_the_public_names_resolve() -> None:
    import cnp_core
    import cnp_core.plugin

    for module in (cnp_core, cnp_core.plugin):
        missing = [n for n in module.__all__ if getattr(module, n, None) is None]
        assert missing == [], module.__name__


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("cnp_core.metrics", "cnp_core._evaluation.metrics"),
        ("cnp_core.evaluation", "cnp_core._evaluation.evaluators"),
        ("cnp_core.datasets", "cnp_core._data.records"),
        ("cnp_core.training.samples", "cnp_core._training.samples"),
        ("cnp_core.checkpoints.raw", "cnp_core._checkpoints.raw"),
    ],
)
def test_a_0_1_module_path_imports_with_a_deprecation_warning(old: str, new: str) -> None:
    import sys

    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert module.__spec__ is not None and module.__spec__.name == new  # the real module's identity is kept
    assert any(issubclass(w.category, DeprecationWarning) and "cnp_core.plugin" in str(w.message) for w in caught)
