"""nox sessions: tests, lint, typecheck, and each package installed alone."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "docs", "tests"]
CONSTRAINTS = ("-c", "constraints.txt")
PACKAGES = ("packages/cnp-core", "packages/cnp-heads", "packages/cnp-h36m", "packages/cnp-cli", "packages/cnp-mupots")


@nox.session
def tests(session: nox.Session) -> None:
    """The README's test command in a fresh environment."""
    session.install("-r", "requirements.txt")
    session.run("python", "-m", "pytest", "-q", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and format check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site, warnings as errors (output: build/site)."""
    session.install("-r", "requirements.txt")
    session.run("mkdocs", "build", "--strict")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy on every package's src/."""
    session.install("-r", "requirements.txt")
    session.run("mypy", *(f"{p}/src" for p in PACKAGES))


# Each package's own cnp dependencies (as its pyproject declares them).
CNP_DEPENDENCIES = {
    "packages/cnp-core": (),
    "packages/cnp-heads": ("packages/cnp-core",),
    "packages/cnp-h36m": ("packages/cnp-core",),
    "packages/cnp-cli": ("packages/cnp-core", "packages/cnp-heads", "packages/cnp-h36m"),
    "packages/cnp-mupots": ("packages/cnp-core", "packages/cnp-heads"),
}


@nox.session
@nox.parametrize("package", PACKAGES)
def alone(session: nox.Session, package: str) -> None:
    """Install one package with only its declared dependencies, then exercise it (tests/alone/exercise.py)."""
    session.install(*CONSTRAINTS, "torch==2.14.1", "torchvision==0.29.1")
    for dep in CNP_DEPENDENCIES[package]:
        session.install(*CONSTRAINTS, dep)
    session.install(*CONSTRAINTS, package)
    name = package.split("/")[-1]
    session.run("python", "tests/alone/exercise.py", name, session.create_tmp())
