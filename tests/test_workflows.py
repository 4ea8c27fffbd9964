"""The registry refresh and pull-request workflows, parsed and run offline.

Each `run` step runs in bash as on a GitHub runner, in a throw-away git repository holding the
test records; the official actions are played by the harness (checkout: the repository is
there; setup-python: .venv/bin/python is this Python; upload/download-artifact: a folder is
copied). The download step runs the real script with the real curl, its base address pointed
at a folder of fixtures (file://), and the GitHub CLI is a stand-in that logs its calls.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import DATA, ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
FIXTURES = DATA / "ctgov" / "refresh"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
FAKE_GH = f"""#!{sys.executable}
import json, os, sys
args = sys.argv[1:]
bodies = {{}}
for i, arg in enumerate(args):
    path = args[i + 1] if arg == "--body-file" and i + 1 < len(args) else None
    if arg.startswith("body=@"):
        path = arg[len("body=@"):]
    if path:
        bodies[path] = open(path, encoding="utf-8").read()
with open(os.environ["GH_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({{"args": args, "bodies": bodies}}) + "\\n")
if args[:2] in (["issue", "list"], ["pr", "list"]):
    print(os.environ.get("FAKE_NUMBER", ""))
elif args[:2] == ["api", "--paginate"]:
    print(os.environ.get("FAKE_COMMENT", ""))
"""


def load(name: str) -> dict[str, Any]:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(workflow, dict)
    return workflow


def executable(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


class Runner:
    """Runs a workflow's jobs step by step in a workspace, with stand-ins for the actions."""

    def __init__(self, workspace: Path, tmp: Path, expressions: dict[str, str]) -> None:
        self.workspace = workspace
        self.temp = tmp / "runner-temp"
        self.temp.mkdir(exist_ok=True)
        self.summary = tmp / "step-summary.md"
        self.artifacts = tmp / "artifacts"
        self.log = tmp / "gh.log"
        bin_dir = tmp / "bin"
        executable(bin_dir / "gh", FAKE_GH)
        self.env = {
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(tmp),
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_WORKSPACE": str(workspace),
            "GH_LOG": str(self.log),
            "CTGOV_DELAY": "0",
        }
        self.expressions = {"runner.temp": str(self.temp), **expressions}

    def value(self, text: Any) -> str:
        """A workflow value with its ${{ }} expressions replaced; unknown ones fail the test."""
        return EXPRESSION.sub(lambda m: self.expressions[m.group(1)], str(text))

    def run_job(self, job: dict[str, Any], **overrides: str) -> None:
        for step in job["steps"]:
            if "uses" in step:
                self._action(step)
                continue
            script = step["run"]
            assert "${{" not in script, f"expression inside a script: {step.get('name')}"
            if script == "make venv":  # setup: this Python, and the generator in the repository
                python = f'#!/bin/sh\nexec "{sys.executable}" "$@"\n'
                executable(self.workspace / ".venv" / "bin" / "python", python)
                continue
            env = {**os.environ, **self.env}
            env.update({k: self.value(v) for k, v in step.get("env", {}).items()})
            env.update({k: v for k, v in overrides.items() if k in step.get("env", {})})
            env["PYTHONPATH"] = str(ROOT)
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                cwd=self.workspace,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )
            assert done.returncode == 0, (step.get("name"), done.stdout, done.stderr)

    def _action(self, step: dict[str, Any]) -> None:
        action, _ = step["uses"].split("@")
        given = {k: self.value(v) for k, v in step.get("with", {}).items()}
        if action in ("actions/checkout", "actions/setup-python"):
            return
        if action == "actions/upload-artifact":
            source = self.workspace / given["path"]
            target = self.artifacts / given["name"]
            if source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True)
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, target)
            return
        if action == "actions/download-artifact":
            target = self.workspace / given.get("path", ".")
            shutil.copytree(self.artifacts / given["name"], target, dirs_exist_ok=True)
            return
        raise AssertionError(f"no stand-in for {action}")

    def gh_calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        calls = [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]
        self.log.unlink()
        return calls


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def workspace(sample_project: Path) -> Path:
    """The repository as checked out: test records, the scripts, committed with git."""
    shutil.copytree(ROOT / ".github", sample_project / ".github")
    (sample_project / ".gitignore").write_text(".venv/\n", encoding="utf-8")
    git(sample_project, "init", "-q", "-b", "main")
    git(sample_project, "config", "user.email", "test@example.org")
    git(sample_project, "config", "user.name", "Test")
    git(sample_project, "add", ".")
    git(sample_project, "commit", "-q", "-m", "records")
    return sample_project


@pytest.fixture
def api(tmp_path: Path) -> str:
    """A stand-in for the API: studies/NCT... files, one per study of the fixtures."""
    folder = tmp_path / "api" / "studies"
    folder.mkdir(parents=True)
    studies = [json.loads((FIXTURES / "NCT07018739.json").read_text(encoding="utf-8"))]
    studies += json.loads((FIXTURES / "page.json").read_text(encoding="utf-8"))["studies"]
    for study in studies:
        nct = study["protocolSection"]["identificationModule"]["nctId"]
        (folder / nct).write_text(json.dumps(study), encoding="utf-8")
    return (tmp_path / "api").as_uri()


def expressions(write: bool) -> dict[str, str]:
    return {
        "inputs.write && 'true' || 'false'": "true" if write else "false",
        "github.token": "a-token",
        "github.repository": "editors/evidence",
        "github.server_url": "https://github.example",
        "github.run_id": "99",
        "github.ref_name": "main",
    }


# --- the registry refresh workflow --------------------------------------------------------------


def test_refresh_workflow_runs_weekly_and_by_hand_with_minimal_permissions() -> None:
    workflow = load("refresh.yml")
    on = workflow[True]  # YAML 1.1 reads the `on` key as True
    assert [entry["cron"] for entry in on["schedule"]] == ["23 5 * * 1"]
    assert on["workflow_dispatch"]["inputs"]["write"]["type"] == "boolean"
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert {name: job["permissions"] for name, job in jobs.items()} == {
        "refresh": {"contents": "read"},
        "issue": {"contents": "read", "issues": "write"},
        "pull-request": {"contents": "write", "pull-requests": "write"},
    }
    assert jobs["issue"]["if"] == "${{ !inputs.write }}"
    assert jobs["pull-request"]["if"] == "${{ inputs.write }}"
    for job in jobs.values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout"):
                assert step["with"]["persist-credentials"] is False
    # Only the download step reaches the network, and only through the download script.
    runs = [s for job in jobs.values() for s in job["steps"] if "run" in s]
    network = [s for s in runs if re.search(r"curl|wget|https?://", s["run"])]
    assert network == []
    (download,) = [s for s in runs if "ctgov-download" in s["run"]]
    assert download["env"] == {"CTGOV_API": "https://clinicaltrials.gov/api/v2"}
    script = (ROOT / ".github" / "scripts" / "ctgov-download").read_text(encoding="utf-8")
    assert "curl --fail" in script
    assert "--proto '=https,file' --proto-redir '=https'" in script


def test_refresh_workflow_opens_then_updates_one_issue(
    workspace: Path, api: str, tmp_path: Path
) -> None:
    jobs = load("refresh.yml")["jobs"]
    runner = Runner(workspace, tmp_path, expressions(write=False))
    runner.run_job(jobs["refresh"], CTGOV_API=api)
    assert (runner.temp / "nct-ids.txt").read_text(encoding="utf-8").split() == [
        "NCT03327467",
        "NCT03356821",
        "NCT03473301",
        "NCT03795974",
        "NCT07018739",
    ]
    downloaded = sorted(p.name for p in (runner.temp / "ctgov").iterdir())
    assert downloaded == ["NCT03327467.json", "NCT03473301.json", "NCT07018739.json"]
    report = (runner.artifacts / "registry-refresh" / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# ClinicalTrials.gov refresh\n\n10 difference(s) in 3 record(s)")
    assert "| Status | Not yet recruiting | Recruiting | 8 | updates it |" in report
    assert "## Registered ids not in the input\n\n- NCT03795974" in report  # not downloadable
    assert (runner.artifacts / "registry-refresh" / "records.patch").read_text() == ""
    assert runner.summary.read_text(encoding="utf-8") == report
    assert git(workspace, "status", "--porcelain", "--", "studies") == ""  # nothing written

    runner.run_job(jobs["issue"])
    calls = runner.gh_calls()
    assert [c["args"][:2] for c in calls] == [
        ["issue", "list"],
        ["label", "create"],
        ["issue", "create"],
    ]
    created = calls[-1]
    assert created["args"][created["args"].index("--label") + 1] == "registry-refresh"
    (body,) = created["bodies"].values()
    assert body.startswith(report)
    assert body.endswith(
        "Updated by the [registry refresh workflow](https://github.example/editors/evidence/actions/runs/99).\n"
    )

    runner.env["FAKE_NUMBER"] = "7"  # the next week: the issue is open
    runner.run_job(jobs["issue"])
    assert [c["args"][:3] for c in runner.gh_calls()] == [
        ["issue", "list", "--label"],
        ["issue", "edit", "7"],
    ]


def test_refresh_workflow_closes_the_issue_when_records_and_registry_agree(
    workspace: Path, tmp_path: Path
) -> None:
    report = tmp_path / "agree.md"
    report.write_text("# ClinicalTrials.gov refresh\n\n0 difference(s) in 1 record(s)\n", "utf-8")
    job = load("refresh.yml")["jobs"]["issue"]
    script = job["steps"][-1]["run"].replace("refresh-out/report.md", str(report))
    runner = Runner(workspace, tmp_path, expressions(write=False))
    runner.env["FAKE_NUMBER"] = "7"
    runner.run_job({"steps": [{**job["steps"][-1], "run": script}]})
    assert [c["args"][:3] for c in runner.gh_calls()] == [
        ["issue", "list", "--label"],
        ["issue", "edit", "7"],
        ["issue", "close", "7"],
    ]
    runner.env["FAKE_NUMBER"] = ""  # none open: nothing to do
    runner.run_job({"steps": [{**job["steps"][-1], "run": script}]})
    assert [c["args"][:2] for c in runner.gh_calls()] == [["issue", "list"]]


def test_refresh_workflow_with_write_opens_then_updates_one_pull_request(
    workspace: Path, api: str, tmp_path: Path
) -> None:
    jobs = load("refresh.yml")["jobs"]
    runner = Runner(workspace, tmp_path, expressions(write=True))
    runner.run_job(jobs["refresh"], CTGOV_API=api)
    patch = (runner.artifacts / "registry-refresh" / "records.patch").read_text(encoding="utf-8")
    assert "+status: recruiting\n" in patch
    assert "+status: no-longer-available\n" in patch
    assert sorted(re.findall(r"^\+\+\+ b/(.*)$", patch, re.M)) == [
        "studies/duke-expanded-access-cord-blood.yaml",
        "studies/mahidol-wharton-jelly-msc-hie.yaml",
    ]
    # The pull-request job checks out the same commit afresh; origin is a bare repository.
    remote = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(workspace), str(remote))
    fresh = tmp_path / "fresh"
    git(tmp_path, "clone", "-q", str(remote), str(fresh))
    for name in ("user.email", "user.name"):
        git(fresh, "config", name, "x")
    runner.workspace = fresh
    runner.run_job(jobs["pull-request"])
    calls = runner.gh_calls()
    assert [c["args"][:2] for c in calls] == [
        ["auth", "setup-git"],
        ["pr", "list"],
        ["pr", "create"],
    ]
    created = calls[-1]["args"]
    assert created[created.index("--base") + 1] == "main"
    assert created[created.index("--head") + 1] == "registry-refresh"
    (body,) = calls[-1]["bodies"].values()
    assert body.startswith("# ClinicalTrials.gov refresh\n")
    pushed = git(remote, "diff", "--name-only", "main", "registry-refresh").split()
    assert pushed == [
        "studies/duke-expanded-access-cord-blood.yaml",
        "studies/mahidol-wharton-jelly-msc-hie.yaml",
    ]
    assert git(remote, "log", "--format=%an", "-1", "registry-refresh") == "github-actions[bot]"

    runner.env["FAKE_NUMBER"] = "12"  # run again: the same branch, the same pull request
    git(fresh, "checkout", "-q", "main")
    runner.run_job(jobs["pull-request"])
    assert [c["args"][:3] for c in runner.gh_calls()] == [
        ["auth", "setup-git"],
        ["pr", "list", "--head"],
        ["pr", "edit", "12"],
    ]
    assert git(remote, "rev-list", "--count", "main..registry-refresh") == "1"


def test_download_script_skips_what_it_cannot_fetch_and_fails_when_it_fetches_nothing(
    tmp_path: Path, api: str
) -> None:
    script = ROOT / ".github" / "scripts" / "ctgov-download"
    ids = tmp_path / "ids.txt"
    ids.write_text("NCT07018739\nnot-an-id\nNCT00000000\n", encoding="utf-8")
    env = {**os.environ, "CTGOV_API": api, "CTGOV_DELAY": "0"}
    done = subprocess.run(
        [str(script), str(ids), str(tmp_path / "out")], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["NCT07018739.json"]
    assert "skipped: not an NCT id: not-an-id" in done.stderr
    assert "could not download NCT00000000" in done.stderr
    assert done.stdout == f"downloaded 1 of 2 registry record(s) into {tmp_path / 'out'}\n"
    ids.write_text("NCT00000000\n", encoding="utf-8")
    failed = subprocess.run(
        [str(script), str(ids), str(tmp_path / "out2")], env=env, capture_output=True, text=True
    )
    assert failed.returncode == 1
    assert list((tmp_path / "out2").iterdir()) == []  # no partial files


# --- the pull-request workflow ------------------------------------------------------------------


def test_pull_request_workflow_writes_the_diff_and_only_the_comment_job_may_write() -> None:
    workflow = load("pr.yml")
    assert list(workflow[True]) == ["pull_request"]  # never pull_request_target
    assert workflow["permissions"] == {"contents": "read"}
    jobs = workflow["jobs"]
    assert {n: j.get("permissions") for n, j in jobs.items()} == {
        "check-test-build": None,
        "meaning-diff": None,
        "comment": {"pull-requests": "write"},
    }
    comment = jobs["comment"]
    assert comment["needs"] == "meaning-diff"
    assert comment["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    # Actions by name: a version bump is checked in tests/test_repo_files.py.
    assert [s.get("uses", "run").split("@")[0] for s in comment["steps"]] == [
        "actions/download-artifact",
        "run",
    ]
    checkout = jobs["meaning-diff"]["steps"][0]
    assert checkout["with"] == {"fetch-depth": 0, "persist-credentials": False}


def test_pull_request_workflow_diff_goes_to_the_summary_and_one_comment(
    workspace: Path, tmp_path: Path
) -> None:
    base = git(workspace, "rev-parse", "HEAD")
    path = workspace / "studies" / "accent-cp.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("    value: 3.3\n", "    value: 3.40\n", 1)
    )
    git(workspace, "commit", "-q", "-am", "a corrected value")
    jobs = load("pr.yml")["jobs"]
    runner = Runner(
        workspace,
        tmp_path,
        {
            "github.event.pull_request.base.sha": base,
            "github.event.pull_request.number": "5",
            "github.token": "a-token",
            "github.repository": "editors/evidence",
        },
    )
    runner.run_job(jobs["meaning-diff"])
    summary = runner.summary.read_text(encoding="utf-8")
    assert summary.startswith(f"## Changes in meaning: `{base}` → `HEAD`\n")
    assert "Final value · 12 months: value 3.3 → 3.40\n" in summary

    runner.run_job(jobs["comment"])
    calls = runner.gh_calls()
    assert [c["args"][:3] for c in calls] == [
        ["api", "--paginate", "repos/editors/evidence/issues/5/comments"],
        ["api", "--method", "POST"],
    ]
    assert calls[1]["args"][3] == "repos/editors/evidence/issues/5/comments"
    (body,) = calls[1]["bodies"].values()
    assert body == "<!-- meaning-diff -->\n" + summary

    runner.env["FAKE_COMMENT"] = "4242"  # the job commented before: that comment is edited
    runner.run_job(jobs["comment"])
    calls = runner.gh_calls()
    assert calls[1]["args"][:4] == [
        "api",
        "--method",
        "PATCH",
        "repos/editors/evidence/issues/comments/4242",
    ]
