"""Command line: `python -m generator check | generate | build | serve | new | import-ctgov |
import-ref | report | refresh | diff | record-format`.

The only module that prints or decides exit codes: each command calls one library function
(pipeline, build, authoring, refresh, diff) and shows what it returns. Exit 0: success;
1: invalid records or a failed site build; 2: wrong usage (argparse). Imports are made by the
command that needs them, so `check` does not load Jinja, the importers or the diff.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from generator.draft import MAIN_REFERENCE
from generator.errors import GeneratorError, Issue, ValidationFailed
from generator.importers.refs import FORMATS

if TYPE_CHECKING:
    from generator.pipeline import GenerateReport, Paths


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    from generator.pipeline import Paths

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
        choices=("mkdocs", "zensical"),
        default="mkdocs",
        help="site engine: MkDocs (default) or its successor Zensical, from the same mkdocs.yml",
    )
    build.set_defaults(command=_build)
    serve = commands.add_parser(
        "serve", help="generate, then preview with live reload; regenerate when a record changes"
    )
    serve.add_argument("--addr", default="127.0.0.1:8000", help="address to serve on")
    serve.add_argument(
        "--dirty",
        action="store_true",
        help="after an edit, rebuild only the pages the generator rewrote (fast on a large "
        "site; search and navigation may lag until a full serve)",
    )
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
        "import-ref", help=f"print reference entries to paste, from {FORMATS}"
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
    record_format = commands.add_parser(
        "record-format", help="write docs/record-format.md from the schema (when it differs)"
    )
    record_format.add_argument("target", nargs="?", help="default: docs/record-format.md")
    record_format.set_defaults(command=_record_format)
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
    from generator.pipeline import generate_site

    _print_generated(generate_site(paths))
    return 0


def _print_generated(report: GenerateReport) -> None:
    print(
        f"{report.records} record(s) -> {report.files} file(s): "
        f"{report.written} written, {report.removed} removed, {report.unchanged} unchanged"
        + (" (nothing changed since the last run)" if report.skipped else "")
    )


def _check(args: argparse.Namespace, paths: Paths) -> int:
    from generator.pipeline import check

    checked = check(paths, args.today or date.today())
    if checked.site is None:
        _print_issues(checked.problems, paths.root)
        _print_warnings(checked.warnings, paths.root)
        return 1
    site = checked.site
    print(f"{len(site.studies)} record(s) and {len(site.glossary)} glossary term(s) OK")
    _print_warnings(checked.warnings, paths.root)
    return 0


def _report(args: argparse.Namespace, paths: Paths) -> int:
    from generator.pipeline import review

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
    from generator.authoring import new_record

    target = new_record(paths, args.id)
    shown = os.path.relpath(target, paths.root)
    print(f"wrote {shown}. Next (CONTRIBUTING.md):")
    print("  1. add the study's own report: `make import-ref FILE=paper.nbib` prints its entry;")
    print(f"     paste it over the `- id: {MAIN_REFERENCE}` entry under references")
    print(f"  2. replace every value marked TODO in {shown}; `make check` lists them")
    print("  3. run `make site`, look at the study's page, and open a pull request")
    return 0


def _import_ctgov(args: argparse.Namespace, paths: Paths) -> int:
    from generator.authoring import import_ctgov

    done = import_ctgov(paths, Path(args.file), args.id, write=not args.stdout)
    for reimport in done.reimports:
        for change in reimport.changes:
            print(change.format(paths.root))
        shown = os.path.relpath(reimport.record.path, paths.root)
        summary = f"{len(reimport.changes)} change(s)" if reimport.changes else "no changes"
        print(
            f"{shown} already holds {done.nct}: {summary} in status, dates and enrolment; "
            "the record was not changed (edit it by hand, then update last_reviewed)"
        )
    if done.draft is not None:
        sys.stdout.write(done.draft)
    if done.written is not None:
        shown = os.path.relpath(done.written, paths.root)
        print(f"wrote {shown} from {done.nct}: {done.to_fill} value(s) marked TODO to fill in.")
        print("Next: `make check` lists them; delete entries that do not apply")
        print("(e.g. interventions that are not cell products), then run `make site`.")
    return 0


def _refresh(args: argparse.Namespace, paths: Paths) -> int:
    from generator import refresh

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
    from generator import diff

    base = diff.snapshot(paths.root, paths.studies, args.base)
    head = diff.snapshot(paths.root, paths.studies, args.head)
    sys.stdout.write(diff.meaning_diff(base, head))
    return 0


def _import_ref(args: argparse.Namespace, paths: Paths) -> int:
    from generator.authoring import reference_entry

    sys.stdout.write(reference_entry(Path(args.file), args.id))
    return 0


def _build(args: argparse.Namespace, paths: Paths) -> int:
    from generator.build import build_site

    built = build_site(
        paths,
        engine=args.engine,
        site_dir=Path(args.site_dir) if args.site_dir else None,
        on_generated=_print_generated,
        on_engine_line=lambda line: print(line, file=sys.stderr),
    )
    print(f"site built in {built.site_dir} ({built.seconds:.1f} s)")
    return 0


def _serve(args: argparse.Namespace, paths: Paths) -> int:
    from generator.build import serve

    return serve(
        paths,
        args.addr,
        dirty=args.dirty,
        on_generated=_print_generated,
        on_invalid=lambda failed: _print_issues(failed.issues, paths.root),
    )


def _record_format(args: argparse.Namespace, paths: Paths) -> int:
    from generator.record_format import REPOSITORY_COPY, write_repository_copy

    target = Path(args.target) if args.target else paths.root / REPOSITORY_COPY
    changed = write_repository_copy(target)
    print(f"wrote {target}" if changed else f"{target} is up to date")
    return 0
