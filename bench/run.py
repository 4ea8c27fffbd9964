"""Benchmark: how generate and build times, memory and site size grow with the record count.

    python -m bench.run --sizes 100 1000 10000 --repeats 3 [--json bench.json]
    python -m bench.run --profile 1000          # cProfile of one cold generate, in process

For each N, a throw-away copy of the project (config, hand-written pages, glossary) gets N
synthetic records (bench/synth.py); the real studies/ is never touched. Every measured step
runs as its own process, exactly as a contributor runs it, so its time includes start-up and
its peak memory is the process's own maximum resident set size (from wait4):

- generate (cold): `python -m generator generate` with no generated pages on disk;
- generate (warm): the same again with nothing changed (must write no file);
- generate (one edit): the same again after one record's summary changed (writes only the
  pages that depend on that record);
- serve, one edit: what `make serve` does when a record is saved. In one process, the
  records are read into memory as serve reads them at start (pipeline.fill_memory), one
  record is edited, and only the regenerate that follows is timed (in that process; its
  start-up is serve's, paid once);
- generate (site-wide change): the same again after a comment was added to the glossary, a
  site-wide input: every page is rendered again and none is written, with the last run's
  state and cache on disk (as after a generator upgrade): the heaviest run after a cold one;
- build: `python -m generator build` from a clean checkout state (no generated pages, no
  site), i.e. what `make site` does on a fresh clone;
- bare mkdocs: `mkdocs build --strict` on the already generated pages: the engine's floor;
- zensical (with --zensical, which `make bench` passes): `zensical build --clean` on the same
  pages, its time and peak memory beside MkDocs's.

Each figure is the median of --repeats runs (the two builds: --build-repeats). Timings on a
shared machine are noisy; CPU
seconds (user + system, children included) are recorded beside wall-clock time, and the load
average before and after, so that runs can be judged.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import itertools
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.synth import write_records
from generator.cache import STATE_FILE
from generator.write import OWNED_DIRS, OWNED_FILES

ROOT = Path(__file__).resolve().parent.parent
GENERATED = (
    ".cache",
    STATE_FILE,
    "includes",
    *(f"content/{name}" for name in (*OWNED_FILES, *OWNED_DIRS)),
)
"""Everything a generate or build writes: removed for a cold run (a fresh clone)."""
TARGETS_AT = 10_000


@dataclass(frozen=True)
class Step:
    """One measured process: wall time, CPU time, peak memory and what it printed."""

    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    stdout: str
    failure: str | None = None


def run_step(args: Sequence[str], cwd: Path, env: dict[str, str], check: bool = True) -> Step:
    """Run a command; fail loudly if it fails (a benchmark of a broken build means nothing),
    unless check is false: then the failure's last line is kept in the Step."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=err)
        # wait4 gives the child's own resource usage, including the children it waited for
        # (mkdocs under `generator build`); ru_maxrss is in KiB on Linux.
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    failure = None
    if proc.returncode != 0:
        if check:
            raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{stdout}{stderr}")
        failure = ((stdout + stderr).strip().splitlines() or ["(no output)"])[-1]
    cpu = usage.ru_utime + usage.ru_stime
    return Step(seconds, cpu, usage.ru_maxrss / 1024, stdout, failure)


def make_project(folder: Path, records: int, seed: int) -> Path:
    """A project copy with synthetic records instead of studies/."""
    project = folder / "project"
    (project / "content").mkdir(parents=True)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    shutil.copy(ROOT / "content" / "about-evidence.md", project / "content" / "about-evidence.md")
    shutil.copytree(ROOT / "content" / "assets", project / "content" / "assets")
    (project / "data").mkdir()
    shutil.copy(ROOT / "data" / "glossary.yaml", project / "data" / "glossary.yaml")
    write_records(project / "studies", records, seed)
    return project


def clean(project: Path, *extra: str) -> None:
    """Remove generated pages (and any extra folders): the state of a fresh clone."""
    for rel in (*GENERATED, *extra):
        path = project / rel
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    # Let the filesystem finish the deletes first: on this machine creating files just after
    # deleting thousands is 2-3 times slower for a while, which would charge the measured run
    # for the clean-up of the one before (a fresh clone has nothing to delete).
    os.sync()


def folder_bytes(folder: Path) -> tuple[int, int]:
    """Total size and number of HTML pages of a folder."""
    total = pages = 0
    for path in folder.rglob("*"):
        if path.is_file():
            total += path.stat().st_size
            pages += path.suffix == ".html"
    return total, pages


def written(stdout: str) -> tuple[int, int]:
    """Files generated and files written, from the summary line ('-> 9 file(s): 3 written')."""
    for line in stdout.splitlines():
        if " file(s): " in line and " written," in line:
            files = int(line.split(" file(s): ")[0].rsplit(" ", 1)[-1])
            return files, int(line.split(" written,")[0].rsplit(" ", 1)[-1])
    raise SystemExit(f"no summary line in generator output:\n{stdout}")


def edit_one_record(studies: Path, repeat: int) -> Path:
    """Change one record's summary (a different record each repeat), as a contributor would."""
    records = sorted(studies.glob("*.yaml"))
    record = records[(repeat * 7919) % len(records)]
    body = record.read_text(encoding="utf-8")
    marker = "\nsummary: |-\n  "
    if marker not in body:
        raise SystemExit(f"{record}: no block summary to edit")
    record.write_text(body.replace(marker, f"{marker}Edited ({repeat}). ", 1), encoding="utf-8")
    return record


def change_site_input(project: Path, repeat: int) -> None:
    """Change a site-wide input without changing what any page says: a comment at the end of
    the glossary."""
    with (project / "data" / "glossary.yaml").open("a", encoding="utf-8") as glossary:
        glossary.write(f"# bench: a site-wide change ({repeat})\n")


def serve_edit(project: Path, repeat: int) -> dict[str, float | int]:
    """One edit as `make serve` regenerates it (see the module docstring): seconds, CPU
    seconds (its render workers included) and files written."""
    import resource

    from generator.pipeline import Memory, Paths, fill_memory, generate_site

    paths = Paths.from_root(project)
    memory = Memory()
    generate_site(paths, memory=memory)  # as serve starts: its first run,
    fill_memory(paths, memory)  # then what it does while MkDocs builds
    edit_one_record(project / "studies", repeat + 1)  # not the record the CLI edit changed

    def cpu() -> float:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime

    started, cpu_before = time.perf_counter(), cpu()
    report = generate_site(paths, memory=memory)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": cpu() - cpu_before,
        "written": report.written,
    }


def measure(
    records: int,
    repeats: int,
    seed: int,
    python: str,
    zensical: bool = False,
    build_repeats: int | None = None,
) -> dict[str, Any]:
    """All figures for one record count (medians over repeats; builds over build_repeats)."""
    build_repeats = repeats if build_repeats is None else min(build_repeats, repeats)
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    # The project copy has no generator/ of its own: import this checkout's.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # Fixed sitemap dates, as `generator build` sets them, so both builds do the same work.
    env.setdefault("SOURCE_DATE_EPOCH", "1735689600")
    generator = [python, "-m", "generator", "--root"]
    samples: dict[str, list[float]] = {}
    warm_writes: list[int] = []
    edit_writes: list[int] = []
    serve_writes: list[int] = []
    cold_writes: list[int] = []
    zensical_failure: str | None = None
    files = 0

    def keep(name: str, step: Step) -> None:
        samples.setdefault(f"{name}_s", []).append(step.seconds)
        samples.setdefault(f"{name}_cpu_s", []).append(step.cpu_seconds)
        samples.setdefault(f"{name}_rss_mb", []).append(step.peak_rss_mb)

    with tempfile.TemporaryDirectory(prefix=f"bench-{records}-") as tmp:
        started = time.perf_counter()
        project = make_project(Path(tmp), records, seed)
        record_bytes = sum(p.stat().st_size for p in (project / "studies").iterdir())
        print(f"  {records} records written in {time.perf_counter() - started:.1f} s", flush=True)
        root = str(project)
        for repeat in range(repeats):
            # The sites stay from the last repeat that built them, to be measured below.
            clean(project, *(("site", "site-bare", "site-zensical") * (repeat < build_repeats)))
            cold = run_step([*generator, root, "generate"], project, env)
            keep("generate", cold)
            files, cold_written = written(cold.stdout)
            cold_writes.append(files - cold_written)  # 0: every file was written
            warm = run_step([*generator, root, "generate"], project, env)
            keep("generate_warm", warm)
            warm_writes.append(written(warm.stdout)[1])
            edit_one_record(project / "studies", repeat)
            edit = run_step([*generator, root, "generate"], project, env)
            keep("generate_one_edit", edit)
            edit_writes.append(written(edit.stdout)[1])
            serve = run_step(
                [python, "-m", "bench.run", "--serve-edit", root, str(repeat)], project, env
            )
            timed = json.loads(serve.stdout.splitlines()[-1])
            samples.setdefault("serve_one_edit_s", []).append(timed["seconds"])
            samples.setdefault("serve_one_edit_cpu_s", []).append(timed["cpu_seconds"])
            serve_writes.append(timed["written"])
            change_site_input(project, repeat)
            keep("generate_site_change", run_step([*generator, root, "generate"], project, env))
            if repeat >= build_repeats:
                continue
            bare = [python, "-m", "mkdocs", "build", "--strict"]  # as `generator build` runs it
            keep("bare_mkdocs", run_step([*bare, "--site-dir", "site-bare"], project, env))
            clean(project, "site")
            keep("build", run_step([*generator, root, "build"], project, env))
            if zensical and not zensical_failure:  # the same pages, without Zensical's cache
                config = project / "zensical-bench.yml"
                config.write_text("INHERIT: mkdocs.yml\nsite_dir: site-zensical\n")
                command = [python, "-m", "zensical", "build", "--clean", "--config-file"]
                step = run_step([*command, str(config)], project, env, check=False)
                if step.failure:  # reported, not timed: the figures are for successful builds
                    zensical_failure = step.failure
                else:
                    keep("bare_zensical", step)
        site_bytes, html_pages = folder_bytes(project / "site")
        bare_bytes, _ = folder_bytes(project / "site-bare")
        content_bytes, _ = folder_bytes(project / "content")
        search = project / "site" / "search" / "search_index.json"
        search_bytes = search.stat().st_size if search.exists() else 0
        zensical_bytes = folder_bytes(project / "site-zensical")[0] if zensical else None
    med = {k: statistics.median(v) for k, v in samples.items()}
    extra: dict[str, Any] = {}
    if zensical and zensical_failure:
        extra = {"zensical_failure": zensical_failure}
    elif zensical:
        extra = {
            "zensical_s": round(med["bare_zensical_s"], 3),
            "zensical_cpu_s": round(med["bare_zensical_cpu_s"], 3),
            "zensical_over_bare_mkdocs": round(med["bare_zensical_s"] / med["bare_mkdocs_s"], 3),
            "zensical_peak_rss_mb": round(max(samples["bare_zensical_rss_mb"]), 1),
            "zensical_site_bytes": zensical_bytes,
        }
    return {
        "records": records,
        "generate_s": round(med["generate_s"], 3),
        "generate_warm_s": round(med["generate_warm_s"], 3),
        "files": files,
        "cold_unwritten_files": max(cold_writes),
        "files_written_warm": max(warm_writes),
        "generate_one_edit_s": round(med["generate_one_edit_s"], 3),
        "files_written_one_edit": max(edit_writes),
        "generate_over_bare_mkdocs": round(med["generate_s"] / med["bare_mkdocs_s"], 3),
        "one_edit_over_generate": round(med["generate_one_edit_s"] / med["generate_s"], 3),
        "serve_one_edit_s": round(med["serve_one_edit_s"], 3),
        "files_written_serve_edit": max(serve_writes),
        "serve_one_edit_over_generate": round(med["serve_one_edit_s"] / med["generate_s"], 3),
        "build_s": round(med["build_s"], 3),
        "bare_mkdocs_s": round(med["bare_mkdocs_s"], 3),
        "build_over_bare": round(med["build_s"] / med["bare_mkdocs_s"], 3),
        "peak_rss_mb": round(
            max(
                max(v) for k, v in samples.items() if k.endswith("_rss_mb") and "zensical" not in k
            ),
            1,
        ),
        "generate_peak_rss_mb": round(max(samples["generate_rss_mb"]), 1),
        "generate_site_change_s": round(med["generate_site_change_s"], 3),
        "generate_site_change_peak_rss_mb": round(max(samples["generate_site_change_rss_mb"]), 1),
        "build_peak_rss_mb": round(max(samples["build_rss_mb"]), 1),
        "site_bytes": site_bytes,
        "site_bytes_per_record": round(site_bytes / records),
        "site_bytes_same_as_bare": site_bytes == bare_bytes,
        "html_pages": html_pages,
        "search_index_bytes": search_bytes,
        "content_bytes": content_bytes,
        "record_bytes": record_bytes,
        "generate_cpu_s": round(med["generate_cpu_s"], 3),
        "generate_warm_cpu_s": round(med["generate_warm_cpu_s"], 3),
        "generate_one_edit_cpu_s": round(med["generate_one_edit_cpu_s"], 3),
        "generate_site_change_cpu_s": round(med["generate_site_change_cpu_s"], 3),
        "serve_one_edit_cpu_s": round(med["serve_one_edit_cpu_s"], 3),
        "build_cpu_s": round(med["build_cpu_s"], 3),
        "bare_mkdocs_cpu_s": round(med["bare_mkdocs_cpu_s"], 3),
        **extra,
        "repeats": repeats,
        "build_repeats": build_repeats,
        "samples": {k: [round(x, 3) for x in v] for k, v in samples.items() if k.endswith("_s")},
    }


COLUMNS = (
    ("records", "records", "{:d}"),
    ("generate s", "generate_s", "{:.2f}"),
    ("warm s", "generate_warm_s", "{:.2f}"),
    ("warm writes", "files_written_warm", "{:d}"),
    ("one edit s", "generate_one_edit_s", "{:.2f}"),
    ("edit writes", "files_written_one_edit", "{:d}"),
    ("serve edit s", "serve_one_edit_s", "{:.2f}"),
    ("build s", "build_s", "{:.2f}"),
    ("bare mkdocs s", "bare_mkdocs_s", "{:.2f}"),
    ("build/bare", "build_over_bare", "{:.3f}"),
    ("peak RSS MB", "peak_rss_mb", "{:.0f}"),
    ("site MB", "site_bytes", "{:.1f}"),
    ("KB/record", "site_bytes_per_record", "{:.1f}"),
)


def table(runs: list[dict[str, Any]]) -> str:
    """The runs as a Markdown table (pastes into issues and pull requests)."""
    columns: tuple[tuple[str, str, str], ...] = COLUMNS
    if any("zensical_s" in run for run in runs):
        columns = (
            *COLUMNS,
            ("zensical s", "zensical_s", "{:.2f}"),
            ("zensical MB", "zensical_peak_rss_mb", "{:.0f}"),
        )
    rows = [[name for name, _, _ in columns]]
    for run in runs:
        row = []
        for _, key, fmt in columns:
            if key not in run:  # e.g. a Zensical build that failed
                row.append("failed")
                continue
            value = run[key]
            if key == "site_bytes":
                value /= 1e6
            elif key == "site_bytes_per_record":
                value /= 1e3
            row.append(fmt.format(value))
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
    lines = [
        "| " + " | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    return "\n".join(lines)


def targets(runs: list[dict[str, Any]]) -> list[str]:
    """The issue's targets, checked on whatever sizes were run."""
    by_n = {r["records"]: r for r in runs}
    lines = []

    def check(ok: bool, text: str) -> None:
        lines.append(f"{'ok  ' if ok else 'MISS'} {text}")

    for run in runs:
        n = run["records"]
        check(
            run["cold_unwritten_files"] == 0,
            f"{n}: the cold generate wrote all {run['files']} files (it ran cold)",
        )
        check(
            run["files_written_warm"] == 0,
            f"{n}: a no-change generate writes no file ({run['files_written_warm']})",
        )
        share = run["generate_warm_s"] / run["generate_s"]
        check(share <= 0.10, f"{n}: warm generate takes {share:.0%} of the cold one (<= 10%)")
        if "generate_one_edit_s" in run:
            edit = run["generate_one_edit_s"] / run["generate_s"]
            check(edit <= 0.05, f"{n}: one edit takes {edit:.0%} of a cold generate (<= 5%)")
            check(
                run["files_written_one_edit"] < run["files"],
                f"{n}: one edit writes {run['files_written_one_edit']} of {run['files']} files",
            )
        if "serve_one_edit_s" in run:
            edit = run["serve_one_edit_s"] / run["generate_s"]
            check(
                edit <= 0.05, f"{n}: one edit in serve takes {edit:.0%} of a cold generate (<= 5%)"
            )
        if n >= 1000:
            ratio = run["generate_s"] / run["bare_mkdocs_s"]
            check(ratio <= 0.05, f"{n}: generate is {ratio:.3f} x bare mkdocs (<= 0.05)")
        check(
            run["build_over_bare"] <= 1.2,
            f"{n}: build is {run['build_over_bare']:.2f} x bare mkdocs (<= 1.2)",
        )
        check(run["peak_rss_mb"] <= 1024, f"{n}: peak memory {run['peak_rss_mb']:.0f} MB (<= 1 GB)")
    if TARGETS_AT in by_n:
        check(
            by_n[TARGETS_AT]["generate_s"] <= 10,
            f"{TARGETS_AT}: generate {by_n[TARGETS_AT]['generate_s']:.1f} s (<= 10 s)",
        )
        rss = by_n[TARGETS_AT]["generate_peak_rss_mb"]
        check(rss <= 500, f"{TARGETS_AT}: generate peak memory {rss:.0f} MB (<= 500 MB)")
        rss = by_n[TARGETS_AT].get("generate_site_change_peak_rss_mb")
        if rss is not None:  # (not in runs from before it was measured)
            check(
                rss <= 500,
                f"{TARGETS_AT}: generate peak memory after a site-wide change {rss:.0f} MB"
                " (<= 500 MB)",
            )
    sizes = sorted(by_n)
    for small, large in itertools.pairwise(sizes):
        a = by_n[small]["site_bytes_per_record"]
        b = by_n[large]["site_bytes_per_record"]
        change = b / a - 1
        check(
            abs(change) <= 0.10 or small < 1000,
            f"{small} -> {large}: site bytes per record {change:+.1%} (within 10% from 1,000 up)",
        )
    return lines


def profile(records: int, seed: int, top: int) -> None:
    """cProfile one cold generate in process: where the time goes."""
    from generator.pipeline import Paths, generate_site

    with tempfile.TemporaryDirectory(prefix=f"bench-profile-{records}-") as tmp:
        project = make_project(Path(tmp), records, seed)
        profiler = cProfile.Profile()
        profiler.enable()
        report = generate_site(Paths.from_root(project))
        profiler.disable()
    print(f"{report.records} records -> {report.files} files")
    for order in ("cumulative", "tottime"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(top)
        print(text.getvalue())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each step (median)")
    parser.add_argument(
        "--build-repeats",
        type=int,
        help="runs of the two builds, the slow steps (default: --repeats)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--json",
        default=os.environ.get("BENCH_JSON", "bench.json"),
        help="where to write the figures (default: $BENCH_JSON or bench.json)",
    )
    parser.add_argument(
        "--profile", type=int, metavar="N", help="instead: profile one cold generate of N records"
    )
    parser.add_argument("--top", type=int, default=25, help="rows of profile output")
    parser.add_argument(
        "--serve-edit",
        nargs=2,
        metavar=("PROJECT", "REPEAT"),
        help="instead: time one edit as serve regenerates it (a step of the benchmark)",
    )
    parser.add_argument(
        "--zensical",
        action=argparse.BooleanOptionalAction,
        default=importlib.util.find_spec("zensical") is not None,
        help="also time a Zensical build of the same pages (default: when zensical is installed)",
    )
    args = parser.parse_args(argv)
    if args.serve_edit:
        print(json.dumps(serve_edit(Path(args.serve_edit[0]), int(args.serve_edit[1]))))
        return 0
    if args.profile:
        profile(args.profile, args.seed, args.top)
        return 0
    load_before = os.getloadavg()
    runs = []
    for n in args.sizes:
        print(f"measuring {n} records ({args.repeats} repeats)...", flush=True)
        runs.append(
            measure(n, args.repeats, args.seed, sys.executable, args.zensical, args.build_repeats)
        )
    result = {
        "runs": runs,
        "seed": args.seed,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "commit": _commit(),
    }
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print()
    print(table(runs))
    print()
    print("\n".join(targets(runs)))
    for run in runs:
        if "zensical_failure" in run:
            print(f"zensical failed at {run['records']} records: {run['zensical_failure']}")
    print(
        f"\nload average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} "
        f"on {os.cpu_count()} CPUs; figures in {args.json}"
    )
    return 0


def _commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


if __name__ == "__main__":
    raise SystemExit(main())
