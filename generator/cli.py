"""Command line: `python -m generator check | generate | build | serve | new | import-ctgov |
import-ref | report | refresh | diff`.

The only module that prints or decides exit codes. Exit 0: success; 1: invalid records or a
failed site build; 2: wrong usage (argparse).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from generator import diff, refresh
from generator.draft import MAIN_REFERENCE
from generator.errors import BuildError, GeneratorError, ImportFailed, Issue, ValidationFailed
from generator.importers import ctgov, refs
from generator.load import load_records
from generator.pipeline import GenerateReport, Paths, collate, generate_site, review
from generator.scaffold import skeleton, valid_key, valid_record_id
from generator.write import replace_dir

MAX_SOURCE_BYTES = 64 * 1024 * 1024
"""Registry records with posted results run to a few megabytes; this is far beyond any."""


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
    _add_today(check)
    check.set_defaults(command=_check)
    generate = commands.add_parser(
        "generate", help="check, then write the Markdown pages into the content folder"
    )
    generate.set_defaults(command=_generate_command)
    build = commands.add_parser(
        "build", help="check, generate, then `mkdocs build --strict` into site/"
    )
    build.add_argument("--site-dir", help="output folder (default: ROOT/site)")
    build.add_argument(
        "--engine",
        choices=ENGINES,
        default="mkdocs",
        help="site engine: MkDocs (default) or its successor Zensical, from the same mkdocs.yml",
    )
    build.set_defaults(command=_build)
    serve = commands.add_parser(
        "serve", help="generate, then preview with live reload; regenerate when a record changes"
    )
    serve.add_argument("--addr", default="127.0.0.1:8000", help="address to serve on")
    serve.set_defaults(command=_serve)
    new = commands.add_parser("new", help="write a commented skeleton record studies/ID.yaml")
    new.add_argument("id", help="record id: lower-case words joined by hyphens, e.g. sun-2017")
    new.set_defaults(command=_new)
    ctgov_cmd = commands.add_parser(
        "import-ctgov",
        help="draft a record from a ClinicalTrials.gov API v2 study (JSON); on a second import, "
        "report what the registry changed",
    )
    ctgov_cmd.add_argument("file", help="the study as downloaded from /api/v2/studies/NCT...")
    ctgov_cmd.add_argument("--id", help="record id (default: the NCT number in lower case)")
    ctgov_cmd.add_argument(
        "--stdout", action="store_true", help="print the draft instead of writing it"
    )
    ctgov_cmd.set_defaults(command=_import_ctgov)
    ref_cmd = commands.add_parser(
        "import-ref", help=f"print reference entries to paste, from {refs.FORMATS}"
    )
    ref_cmd.add_argument("file", help="the downloaded file (.nbib, .xml, .ris or .json)")
    ref_cmd.add_argument(
        "--id",
        default=MAIN_REFERENCE,
        help=f"id of the (first) reference printed (default: {MAIN_REFERENCE}, the id the `new` "
        "skeleton gives the study's own report); name each further source, e.g. --id registry",
    )
    ref_cmd.set_defaults(command=_import_ref)
    report = commands.add_parser(
        "report", help="curation to-do list: fields to fill in, stale reviews, duplicates"
    )
    _add_today(report)
    report.set_defaults(command=_report)
    refresh_cmd = commands.add_parser(
        "refresh",
        help="compare records with their ClinicalTrials.gov entries (API v2 JSON); --write "
        "updates status, dates and enrolment of running studies",
    )
    refresh_cmd.add_argument(
        "inputs", nargs="*", metavar="FILE_OR_DIR", help="study JSON files, list pages, folders"
    )
    refresh_cmd.add_argument("--markdown", action="store_true", help="print a Markdown report")
    refresh_cmd.add_argument(
        "--write", action="store_true", help="update the mechanical fields in the records"
    )
    refresh_cmd.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="the date the registry was read, for status_checked (default: today)",
    )
    refresh_cmd.add_argument(
        "--list-ids", action="store_true", help="print the registered NCT ids, one a line"
    )
    refresh_cmd.set_defaults(command=_refresh)
    diff_cmd = commands.add_parser(
        "diff",
        help="Markdown: what the records say differently between two git revisions (results, "
        "status, enrolment, sources, key messages)",
    )
    diff_cmd.add_argument("base", help="git revision to compare from, e.g. main")
    diff_cmd.add_argument("head", nargs="?", help="git revision (default: the working tree)")
    diff_cmd.set_defaults(command=_diff)
    return parser


def _add_today(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="date to judge warnings against, YYYY-MM-DD (default: today)",
    )


def _print_issues(issues: list[Issue], root: Path) -> None:
    for issue in issues:
        print(issue.format(root), file=sys.stderr)
    print(f"{len(issues)} problem(s) found", file=sys.stderr)
    _annotate("error", issues, root)


def _print_warnings(warnings: list[Issue], root: Path) -> None:
    for warning in warnings:
        print(warning.format(root, kind="warning"), file=sys.stderr)
    if warnings:
        print(f"{len(warnings)} warning(s) (these do not fail the check)", file=sys.stderr)
    _annotate("warning", warnings, root)


def _annotate(kind: str, issues: list[Issue], root: Path) -> None:
    """On GitHub Actions, repeat issues as workflow commands so they show on the changed lines."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return
    for issue in issues:
        print(annotation(kind, issue, root))
    sys.stdout.flush()


def annotation(kind: str, issue: Issue, root: Path) -> str:
    """A `::error file=F,line=L,col=C,title=T::message` workflow command, escaped."""
    properties = {
        "file": issue.shown_path(root),
        "line": str(issue.line),
        "col": str(issue.column),
        "title": issue.field or "(record)",
    }
    listed = ",".join(f"{k}={_escape(v, property=True)}" for k, v in properties.items())
    return f"::{kind} {listed}::{_escape(issue.message)}"


def _escape(value: str, *, property: bool = False) -> str:
    # GitHub's workflow-command escaping: % first, then line breaks; in properties also , and :
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def _generate_command(args: argparse.Namespace, paths: Paths) -> int:
    _generate(args, paths)
    return 0


def _check(args: argparse.Namespace, paths: Paths) -> int:
    _, warnings = review(paths, args.today or date.today())
    try:
        site = collate(paths)
    except ValidationFailed as failed:
        _print_issues(failed.issues, paths.root)
        _print_warnings(warnings, paths.root)
        return 1
    print(f"{len(site.studies)} record(s) and {len(site.glossary)} glossary term(s) OK")
    _print_warnings(warnings, paths.root)
    return 0


def _report(args: argparse.Namespace, paths: Paths) -> int:
    if not paths.studies.is_dir():
        raise GeneratorError(f"{paths.studies}: records folder not found")
    to_fill, warnings = review(paths, args.today or date.today())
    items = sorted(to_fill + warnings)
    for item in items:
        print(item.format(paths.root))
    records = len({item.path for item in items})
    print(f"curation to-do: {len(items)} item(s) in {records} file(s)")
    return 0


def _new(args: argparse.Namespace, paths: Paths) -> int:
    if not valid_record_id(args.id):
        raise GeneratorError(
            f"{args.id!r} is not a record id: use lower-case letters, digits and hyphens "
            "(at most 80 characters; 'index' is reserved)"
        )
    target = paths.studies / f"{args.id}.yaml"
    _create(target, skeleton(args.id), paths.root)
    shown = os.path.relpath(target, paths.root)
    print(f"wrote {shown}. Next (CONTRIBUTING.md):")
    print("  1. add the study's own report: `make import-ref FILE=paper.nbib` prints its entry;")
    print(f"     paste it over the `- id: {MAIN_REFERENCE}` entry under references")
    print(f"  2. replace every value marked TODO in {shown}; `make check` lists them")
    print("  3. run `make site`, look at the study's page, and open a pull request")
    return 0


def _create(target: Path, text: str, root: Path) -> None:
    """Write a new file; never replace an existing one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with target.open("x", encoding="utf-8", newline="\n") as out:
            out.write(text)
    except FileExistsError:
        shown = os.path.relpath(target, root)
        raise GeneratorError(f"{shown} already exists; choose another id") from None


def _read_source(path: Path) -> str:
    """The text of a file to import, or a FILE:LINE:COL problem."""
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise _source_problem(path, f"file is {size} bytes; the limit is {MAX_SOURCE_BYTES}")
        raw = path.read_bytes()
    except OSError as exc:
        raise _source_problem(path, f"cannot read file: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise _source_problem(path, "file is not valid UTF-8 text", line) from None


def _source_problem(path: Path, message: str, line: int = 1, column: int = 1) -> ValidationFailed:
    return ValidationFailed([Issue(path, line, column, "", message)])


def _read_json(path: Path) -> Any:
    text = _read_source(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _source_problem(path, f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise _source_problem(path, "JSON nested too deeply") from None


def _import_ctgov(args: argparse.Namespace, paths: Paths) -> int:
    source = Path(args.file)
    study = _read_json(source)
    try:
        nct = ctgov.registration_id(study)
    except ImportFailed as exc:
        raise _source_problem(source, str(exc), exc.line, exc.column) from None
    existing = _records_with_registration(paths, nct)
    if existing:
        return _report_changes(existing, study, nct, paths)
    record_id = args.id or nct.lower()
    if not valid_record_id(record_id):
        raise GeneratorError(f"{record_id!r} is not a record id")
    text = ctgov.draft_text(study, record_id)
    to_fill = text.count('"TODO:')
    if args.stdout:
        sys.stdout.write(text)
        return 0
    target = paths.studies / f"{record_id}.yaml"
    _create(target, text, paths.root)
    shown = os.path.relpath(target, paths.root)
    print(f"wrote {shown} from {nct}: {to_fill} value(s) marked TODO to fill in.")
    print("Next: `make check` lists them; delete entries that do not apply")
    print("(e.g. interventions that are not cell products), then run `make site`.")
    return 0


def _records_with_registration(paths: Paths, nct: str) -> list[Any]:
    loaded = load_records(paths.studies) if paths.studies.is_dir() else None
    found = []
    for record in loaded.records if loaded else []:
        registrations = record.data.get("registrations") if isinstance(record.data, dict) else None
        if isinstance(registrations, list) and any(
            isinstance(r, dict) and r.get("id") == nct for r in registrations
        ):
            found.append(record)
    return found


def _report_changes(records: list[Any], study: Any, nct: str, paths: Paths) -> int:
    """A second import: say what the registry now says differently; change nothing."""
    for record in records:
        changes = ctgov.registry_changes(record.data, study)
        for change in changes:
            line, column = record.locate(change.field)
            print(
                Issue(record.path, line, column, ".".join(change.field), change.message).format(
                    paths.root
                )
            )
        shown = os.path.relpath(record.path, paths.root)
        summary = f"{len(changes)} change(s)" if changes else "no changes"
        print(
            f"{shown} already holds {nct}: {summary} in status, dates and enrolment; "
            "the record was not changed (edit it by hand, then update last_reviewed)"
        )
    return 0


def _refresh(args: argparse.Namespace, paths: Paths) -> int:
    if args.list_ids:
        print("\n".join(refresh.registered_ids(paths.studies)))
        return 0
    if not args.inputs:
        raise GeneratorError("refresh: give study JSON files or folders (or --list-ids)")
    today = args.today or date.today()
    outcome = refresh.run(paths.studies, [Path(p) for p in args.inputs], today, write=args.write)
    if args.markdown:
        sys.stdout.write(refresh.markdown(outcome.report, paths.root))
    else:
        print("\n".join(refresh.lines(outcome.report, paths.root)))
    for path in outcome.written:
        print(f"wrote {os.path.relpath(path, paths.root)}", file=sys.stderr)
    return 0


def _diff(args: argparse.Namespace, paths: Paths) -> int:
    base = diff.snapshot(paths.root, paths.studies, args.base)
    head = diff.snapshot(paths.root, paths.studies, args.head)
    sys.stdout.write(diff.meaning_diff(base, head))
    return 0


def _import_ref(args: argparse.Namespace, paths: Paths) -> int:
    if not valid_key(args.id):
        raise GeneratorError(
            f"{args.id!r} is not a reference id: use lower-case letters, digits and hyphens "
            "(at most 40 characters), e.g. paper or registry"
        )
    source = Path(args.file)
    text = _read_source(source)
    try:
        references = refs.read_references(text)
    except ImportFailed as exc:
        raise _source_problem(source, str(exc), exc.line, exc.column) from None
    except json.JSONDecodeError as exc:
        raise _source_problem(source, f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    sys.stdout.write(refs.snippet(references, args.id))
    return 0


def _generate(args: argparse.Namespace, paths: Paths) -> GenerateReport:
    report = generate_site(paths)
    print(
        f"{report.records} record(s) -> {report.files} file(s): "
        f"{report.written} written, {report.removed} removed, {report.unchanged} unchanged"
        + (" (nothing changed since the last run)" if report.skipped else "")
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
    prefix = f".{site_dir.name}.build-"
    for stale in site_dir.parent.glob(prefix + "*"):  # left by a build that was killed (-9)
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(dir=site_dir.parent, prefix=prefix))
    config = paths.root / ZENSICAL_CONFIG
    try:
        if args.engine == "zensical":
            command = _zensical(paths, staging)
        else:
            # Not `--quiet`: it hides warnings from the count that `--strict` fails on, so
            # broken links would pass. Its INFO lines are dropped here instead.
            command = _mkdocs(paths, "build", "--strict", "--site-dir", str(staging))
        result = subprocess.run(
            command,
            cwd=paths.root,
            env=_mkdocs_env(report.latest_review),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        for line in result.stdout.splitlines():
            if not line.startswith("INFO "):
                print(line, file=sys.stderr)
        if result.returncode != 0:
            raise BuildError(
                f"{args.engine} build failed (exit {result.returncode}); see messages above"
            )
        replace_dir(staging, site_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
        config.unlink(missing_ok=True)
    print(f"site built in {site_dir} ({time.perf_counter() - started:.1f} s)")
    return 0


ENGINES = ("mkdocs", "zensical")
ZENSICAL_CONFIG = ".zensical-build.yml"
"""Temporary config: Zensical has no --site-dir, but honours INHERIT."""


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
