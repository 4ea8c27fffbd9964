"""Allow `python -m generator`.

Run by a Python without the pinned packages (the system `python3` rather than `.venv`), the
command says in one line what to run instead, never with a traceback. This file therefore
uses only the standard library and syntax that Python 3.7 and later read, until the check
has passed.
"""

from __future__ import annotations

import os
import shlex
import sys

MAKE_TARGETS = {
    "check": "make check",
    "generate": "make generate",
    "build": "make site",
    "serve": "make serve",
    "report": "make report",
    "new": "make new ID={}",
    "import-ctgov": "make import-ctgov FILE={}",
    "import-ref": "make import-ref FILE={}",
}
"""Sub-commands with a `make` target of their own (which sets up .venv first); `{}` is the
sub-command's one argument."""


REQUIRED = (
    ("yaml", "pyyaml"),
    ("jsonschema", "jsonschema"),
    ("jsonschema_rs", "jsonschema-rs"),
)
"""(module, package) for every third-party package any command imports (what the pre-commit
hook installs for `check`)."""
ALSO_REQUIRED = {
    "generate": (("jinja2", "jinja2"),),
    "build": (("jinja2", "jinja2"), ("mkdocs", "mkdocs")),
    "serve": (("jinja2", "jinja2"), ("mkdocs", "mkdocs")),
    "record-format": (("jinja2", "jinja2"),),
}
"""What some commands import besides REQUIRED: rendering (Jinja) and the site engine."""


def instead(argv: list[str], reason: str) -> str:
    """The one line shown when this Python cannot run the generator: what to run instead."""
    venv = os.path.join(".venv", "bin", "python")
    command = " ".join(shlex.quote(arg) for arg in [venv, "-m", "generator", *argv])
    target = MAKE_TARGETS.get(argv[0]) if argv else None
    arguments = argv[1:]
    if target and len(arguments) == target.count("{}") and not any(a.startswith("-") for a in argv):
        target = target.format(*(shlex.quote(a) for a in arguments))
        return (
            f"error: {reason}; run `{target}` (it sets up .venv with the pinned packages) "
            f"or `{command}`"
        )
    return f"error: {reason}; run `{command}` (run `make site` once to set up .venv)"


def unavailable() -> str | None:
    """Why this Python cannot run the generator, or None when it can."""
    if sys.version_info < (3, 11):  # noqa: UP036 (this file is read by older Pythons too)
        version = ".".join(str(part) for part in sys.version_info[:2])
        return f"the generator needs Python 3.11 or newer, and {sys.executable} is {version}"
    # The command line imports what a command needs only when it runs; look the packages up
    # here (without importing them) so a missing one is one line, not a traceback later.
    import importlib.util

    command = next((arg for arg in sys.argv[1:] if arg in ALSO_REQUIRED), "")
    for module, package in REQUIRED + ALSO_REQUIRED.get(command, ()):
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed for {sys.executable}"
    return None


def run() -> int:
    reason = unavailable()
    if reason is not None:
        print(instead(sys.argv[1:] or ["--help"], reason), file=sys.stderr)
        return 1
    import signal

    from generator.cli import main

    # A terminated run (`kill`, a cancelled CI job) cleans up like Ctrl-C: no staging folder
    # is left.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    return main()


if __name__ == "__main__":
    sys.exit(run())
