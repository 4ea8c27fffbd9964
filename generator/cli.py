"""Command line: `python -m generator check | generate | build`.

The only module that prints or decides exit codes. Exit 0: success; 1: invalid records or a
failed site build; 2: wrong usage (argparse).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from generator.errors import BuildError, GeneratorError, Issue, ValidationFailed
from generator.pipeline import GenerateReport, Paths, collate, generate_site
from generator.write import replace_dir


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    paths = Paths.from_root(Path(args.root))
    try:
        return int(args.command(args, paths))
    except ValidationFailed as failed:
        _print_issues(failed.issues, paths.root)
        return 1
    except GeneratorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m generator",
        description="Check study records and turn them into the evidence site.",
    )
    parser.add_argument("--root", default=".", help="project folder (default: current folder)")
    commands = parser.add_subparsers(dest="name", required=True, metavar="COMMAND")
    check = commands.add_parser(
        "check", help="validate every record; print FILE:LINE:COL: field: message per problem"
    )
    check.set_defaults(command=_check)
    generate = commands.add_parser(
        "generate", help="check, then write the Markdown pages into the content folder"
    )
    generate.set_defaults(command=_generate_command)
    build = commands.add_parser(
        "build", help="check, generate, then `mkdocs build --strict` into site/"
    )
    build.add_argument("--site-dir", help="output folder (default: ROOT/site)")
    build.set_defaults(command=_build)
    serve = commands.add_parser(
        "serve", help="generate, then preview with live reload; regenerate when a record changes"
    )
    serve.add_argument("--addr", default="127.0.0.1:8000", help="address to serve on")
    serve.set_defaults(command=_serve)
    return parser


def _print_issues(issues: list[Issue], root: Path) -> None:
    for issue in issues:
        print(issue.format(root), file=sys.stderr)
    print(f"{len(issues)} problem(s) found", file=sys.stderr)


def _generate_command(args: argparse.Namespace, paths: Paths) -> int:
    _generate(args, paths)
    return 0


def _check(args: argparse.Namespace, paths: Paths) -> int:
    site = collate(paths)
    print(f"{len(site.studies)} record(s) and {len(site.glossary)} glossary term(s) OK")
    return 0


def _generate(args: argparse.Namespace, paths: Paths) -> GenerateReport:
    report = generate_site(paths)
    print(
        f"{report.records} record(s) -> {report.files} file(s): "
        f"{report.written} written, {report.removed} removed, {report.unchanged} unchanged"
    )
    return report


def _build(args: argparse.Namespace, paths: Paths) -> int:
    started = time.perf_counter()
    site_dir = (Path(args.site_dir) if args.site_dir else paths.root / "site").absolute()
    _check_site_target(site_dir, paths)
    report = _generate(args, paths)
    # Build beside the old site and swap it in only when complete: a failed or interrupted
    # build leaves the previous site as it was.
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=site_dir.parent, prefix=f".{site_dir.name}.build-"))
    try:
        result = subprocess.run(
            _mkdocs(paths, "build", "--strict", "--quiet", "--site-dir", str(staging)),
            cwd=paths.root,
            env=_mkdocs_env(report.latest_review),
            check=False,
        )
        if result.returncode != 0:
            raise BuildError(f"mkdocs build failed (exit {result.returncode}); see messages above")
        replace_dir(staging, site_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    print(f"site built in {site_dir} ({time.perf_counter() - started:.1f} s)")
    return 0


def _check_site_target(site_dir: Path, paths: Paths) -> None:
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


def _serve(args: argparse.Namespace, paths: Paths) -> int:
    _generate(args, paths)
    server = subprocess.Popen(
        _mkdocs(paths, "serve", "--dev-addr", args.addr), cwd=paths.root, env=_mkdocs_env()
    )
    seen = _inputs_state(paths)
    try:
        while server.poll() is None:
            time.sleep(1)
            now = _inputs_state(paths)
            if now == seen:
                continue
            seen = now
            try:
                _generate(args, paths)  # writes only changed pages; mkdocs reloads those
            except ValidationFailed as failed:
                _print_issues(failed.issues, paths.root)
    finally:
        server.terminate()
        server.wait()
    return server.returncode or 0


def _inputs_state(paths: Paths) -> dict[Path, tuple[int, int]]:
    """Modification time and size of every input, to notice edits by polling."""
    files = [*paths.studies.glob("*.yaml"), paths.glossary]
    state = {}
    for path in files:
        try:
            info = path.stat()
        except OSError:
            continue
        state[path] = (info.st_mtime_ns, info.st_size)
    return state


def _mkdocs(paths: Paths, *args: str) -> list[str]:
    config = str(paths.root / "mkdocs.yml")
    return [sys.executable, "-m", "mkdocs", args[0], "--config-file", config, *args[1:]]


def _mkdocs_env(latest_review: str | None = None) -> dict[str, str]:
    # Material 9.8 prints a banner about MkDocs 2.0 on every build; it is noise here.
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    if latest_review and not env.get("SOURCE_DATE_EPOCH"):
        # The sitemap's dates come from the records, not the clock: same records, same bytes.
        stamp = datetime.strptime(latest_review, "%Y-%m-%d").replace(tzinfo=UTC)
        env["SOURCE_DATE_EPOCH"] = str(int(stamp.timestamp()))
    return env
