"""The packages install without the checkout: each builds as sdist and wheel (the wheel from the
sdist, so the sdist is complete), and the wheels alone, in a fresh virtual environment outside the
repository, give a working ``cnp``."""

from __future__ import annotations

import email.parser
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # five builds, then a fresh environment with torch: a few minutes

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cnp-core", "cnp-heads", "cnp-h36m", "cnp-cli", "cnp-mupots")


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheelhouse")
    for name in PACKAGES:
        build = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT / "packages" / name)]
        done = subprocess.run(build, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return out


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(zf.read(name).decode())


@pytest.mark.parametrize("name", PACKAGES)
def test_each_package_builds_a_complete_wheel_and_sdist(wheelhouse: Path, name: str) -> None:
    stem = name.replace("-", "_")
    (wheel,) = wheelhouse.glob(f"{stem}-*.whl")
    (sdist,) = wheelhouse.glob(f"{stem}-*.tar.gz")
    meta = _metadata(wheel)
    assert meta["Summary"] and meta["License"] == "MIT" and meta["Requires-Python"] == ">=3.10"
    assert "Typing :: Typed" in meta.get_all("Classifier", []) and meta["Keywords"]
    assert name in (meta.get_payload() or "")  # the package README is the long description
    with zipfile.ZipFile(wheel) as zf:
        files = zf.namelist()
    assert f"{stem}/py.typed" in files and any(f.endswith(".dist-info/entry_points.txt") for f in files)
    with tarfile.open(sdist) as tf:
        names = tf.getnames()
    assert any(n.endswith("/LICENSE") for n in names) and any(n.endswith("/README.md") for n in names)


def test_the_version_is_written_once(wheelhouse: Path) -> None:
    import cnp_core

    (wheel,) = wheelhouse.glob("cnp_core-*.whl")
    assert _metadata(wheel)["Version"] == cnp_core.__version__
    assert "version =" not in (ROOT / "packages/cnp-core/pyproject.toml").read_text().split("[project.optional")[0]


def test_the_wheels_alone_give_a_working_cnp(wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """First cnp-core's wheel alone runs ``tests/core``; then the rest of the wheels give ``cnp``."""
    place = tmp_path_factory.mktemp("fresh")  # outside the repository: nothing of the checkout is importable
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["CNP_CACHE_DIR"] = str(place / "cache")
    subprocess.run([sys.executable, "-m", "venv", str(place / "venv")], check=True)
    python, cnp = str(place / "venv" / "bin" / "python"), str(place / "venv" / "bin" / "cnp")

    def pip(*packages: str) -> None:
        install = [python, "-m", "pip", "install", "-q", "-c", str(ROOT / "constraints.txt"), "--find-links", str(wheelhouse)]
        done = subprocess.run([*install, *packages], cwd=place, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(command), cwd=place, env=env, capture_output=True, text=True)

    pip("cnp-core", "pytest>=8", "hypothesis>=6.100")
    core = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "core"))
    assert core.returncode == 0, core.stdout[-3000:] + core.stderr[-2000:]
    pip("cnp-cli", "cnp-mupots")
    where = run(python, "-c", "import cnp_core, cnp_cli; print(cnp_core.__file__, cnp_cli.__file__)")
    assert all(str(place / "venv") in p for p in where.stdout.split()), where.stdout + where.stderr
    plugins = run(cnp, "plugins", "--json")
    assert plugins.returncode == 0, plugins.stderr
    for name in PACKAGES:
        if name != "cnp-cli":
            assert f'"{name}"' in plugins.stdout
    demo = run(cnp, "eval", "--variant", "M", "--demo", "--json", "--bootstrap", "0")
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert '"variant": "M"' in demo.stdout and (place / "output" / "result").is_dir()
