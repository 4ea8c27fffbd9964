"""Build and serve stages: generate the pages, then run the site engine (MkDocs or Zensical).

Library functions with no printing: what the engine says and what each regenerate did are
handed to callbacks, so the command line decides how to show them and tests call these
functions in process.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from generator.errors import BuildError, ValidationFailed
from generator.pipeline import GenerateReport, Memory, Paths, fill_memory, generate_site
from generator.write import remove_leftovers, replace_dir

ENGINES = ("mkdocs", "zensical")
ZENSICAL_CONFIG = ".zensical-build.yml"
"""Temporary config: Zensical has no --site-dir, but honours INHERIT."""

Say = Callable[[str], None]


@dataclass(frozen=True)
class BuildReport:
    generated: GenerateReport
    site_dir: Path
    seconds: float


def build_site(
    paths: Paths,
    *,
    engine: str = "mkdocs",
    site_dir: Path | None = None,
    on_generated: Callable[[GenerateReport], None] = lambda _: None,
    on_engine_line: Say = lambda _: None,
) -> BuildReport:
    """Generate, then build the site into site_dir (all or nothing); raise BuildError."""
    started = time.perf_counter()
    target = (site_dir or paths.root / "site").absolute()
    check_site_target(target, paths)
    generated = generate_site(paths)
    on_generated(generated)
    # Build beside the old site and swap it in only when complete: a failed or interrupted
    # build leaves the previous site as it was.
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{target.name}.build-"
    remove_leftovers(target.parent, prefix)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=prefix))
    config = paths.root / ZENSICAL_CONFIG
    try:
        if engine == "zensical":
            command = _zensical(paths, staging)
        else:
            # Not `--quiet`: it hides warnings from the count that `--strict` fails on, so
            # broken links would pass. Its INFO lines are dropped here instead.
            command = mkdocs_command(paths, "build", "--strict", "--site-dir", str(staging))
        result = subprocess.run(
            command,
            cwd=paths.root,
            env=engine_env(generated.latest_review),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        for line in result.stdout.splitlines():
            if not line.startswith("INFO "):
                on_engine_line(line)
        if result.returncode != 0:
            raise BuildError(
                f"{engine} build failed (exit {result.returncode}); see messages above"
            )
        replace_dir(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
        config.unlink(missing_ok=True)
    return BuildReport(generated, target, time.perf_counter() - started)


def serve(
    paths: Paths,
    addr: str,
    *,
    dirty: bool = False,
    on_generated: Callable[[GenerateReport], None] = lambda _: None,
    on_invalid: Callable[[ValidationFailed], None] = lambda _: None,
    poll_seconds: float = 1.0,
) -> int:
    """Generate, run `mkdocs serve`, and regenerate when an input changes; the server's exit code.

    Regenerating writes only the pages whose bytes changed (rendering only what depends on
    the edit), and re-reads only the edited records: the others stay in memory between runs
    (pipeline.Memory), as do the imported modules and compiled templates. MkDocs then
    rebuilds the whole site, unless dirty: then only the pages the generator rewrote
    (seconds rather than a minute at 1,000 records; its search index and navigation may lag
    until a full serve, and MkDocs does not run strict).
    """
    memory = Memory()
    on_generated(generate_site(paths, memory=memory))
    # MkDocs warns that a dirty build may leave links stale, which strict mode (mkdocs.yml)
    # turns into a failure: a dirty preview is not strict; `make site` always is.
    fast = ["--dirty", "--no-strict"] if dirty else []
    command = mkdocs_command(paths, "serve", "--dev-addr", addr, *fast)
    server = subprocess.Popen(command, cwd=paths.root, env=engine_env())
    seen = inputs_state(paths)
    fill_memory(paths, memory)  # if the first run read nothing: now, while the server builds
    try:
        while server.poll() is None:
            time.sleep(poll_seconds)
            now = inputs_state(paths)
            if now == seen:
                continue
            seen = now
            try:
                on_generated(generate_site(paths, memory=memory))
            except ValidationFailed as failed:
                on_invalid(failed)
    finally:
        server.terminate()
        server.wait()
    return server.returncode or 0


def inputs_state(paths: Paths) -> dict[Path, tuple[int, int]]:
    """Modification time and size of every input, to notice edits by polling."""
    files = [*paths.studies.glob("*.yaml"), paths.glossary, paths.key_messages, paths.notes]
    state = {}
    for path in files:
        try:
            info = path.stat()
        except OSError:
            continue
        state[path] = (info.st_mtime_ns, info.st_size)
    return state


def check_site_target(site_dir: Path, paths: Paths) -> None:
    """Refuse to replace a folder that holds project files or is not a previous build."""
    target = site_dir.resolve()
    for kept in (paths.root, paths.studies, paths.content, paths.glossary.parent):
        kept = kept.resolve()
        inside_inputs = kept != paths.root.resolve() and target.is_relative_to(kept)
        if kept.is_relative_to(target) or inside_inputs:
            raise BuildError(f"refusing to build into {site_dir}: it overlaps {kept}")
    if target.is_dir() and any(target.iterdir()) and not (target / "sitemap.xml").is_file():
        raise BuildError(
            f"refusing to replace {site_dir}: it is not empty and does not look like a built site"
        )


def _zensical(paths: Paths, staging: Path) -> list[str]:
    """Zensical reads mkdocs.yml as it is; only the output folder (staging) is overridden."""
    if importlib.util.find_spec("zensical") is None:
        raise BuildError("zensical is not installed; run `make site ENGINE=zensical`")
    if not staging.is_relative_to(paths.root.absolute()):
        raise BuildError(f"zensical builds only inside the project folder, not {staging.parent}")
    relative = staging.relative_to(paths.root.absolute()).as_posix()
    config = paths.root / ZENSICAL_CONFIG
    config.write_text(f"INHERIT: mkdocs.yml\nsite_dir: {json.dumps(relative)}\n", "utf-8")
    return [sys.executable, "-m", "zensical", "build", "--strict", "--config-file", str(config)]


def mkdocs_command(paths: Paths, *args: str) -> list[str]:
    config = str(paths.root / "mkdocs.yml")
    return [sys.executable, "-m", "mkdocs", args[0], "--config-file", config, *args[1:]]


def engine_env(latest_review: str | None = None) -> dict[str, str]:
    """The environment for the site engine: no MkDocs 2.0 banner; dates from the records."""
    # Material 9.8 prints a banner about MkDocs 2.0 on every build; it is noise here.
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    if latest_review and not env.get("SOURCE_DATE_EPOCH"):
        # The sitemap's dates come from the records, not the clock: same records, same bytes.
        stamp = datetime.strptime(latest_review, "%Y-%m-%d").replace(tzinfo=UTC)
        env["SOURCE_DATE_EPOCH"] = str(int(stamp.timestamp()))
    return env
