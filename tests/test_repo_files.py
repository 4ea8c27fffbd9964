"""Project files for contributors and CI: workflows, issue form, templates, pre-commit."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from yamllint import linter
from yamllint.config import YamlLintConfig

from generator.importers.ctgov import draft_text
from generator.scaffold import skeleton
from generator.schema import labels
from tests.conftest import DATA, ROOT

GITHUB = ROOT / ".github"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def steps(job: dict[str, Any]) -> list[str]:
    """Each step's action without its version (a version bump is not a change of meaning;
    the versions are checked below), or its command."""
    return [step["uses"].split("@")[0] if "uses" in step else step["run"] for step in job["steps"]]


def test_pull_request_workflow_checks_tests_builds_and_uploads() -> None:
    workflow = load(GITHUB / "workflows" / "pr.yml")
    assert list(workflow[True]) == ["pull_request"]  # YAML 1.1 reads the `on` key as True
    assert workflow["permissions"] == {"contents": "read"}
    job = workflow["jobs"]["check-test-build"]  # the meaning diff: tests/test_workflows.py
    ran = steps(job)
    assert ran[:2] == ["actions/checkout", "actions/setup-python"]
    assert ran.index("make check") < ran.index("make test-all") < ran.index("make site")
    upload = job["steps"][-1]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"] == "site/"


def test_pages_workflow_deploys_site_with_the_official_actions() -> None:
    workflow = load(GITHUB / "workflows" / "pages.yml")
    assert workflow[True]["push"] == {"branches": ["main"]}
    assert workflow["permissions"] == {}  # each job asks for its own
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert build["permissions"] == {"contents": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert build["steps"][0]["with"] == {"persist-credentials": False}
    ran = steps(build)
    assert "actions/configure-pages" in ran
    assert ran.index("make site") < ran.index("actions/upload-pages-artifact")
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages"))
    assert upload["with"]["path"] == "site/"
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert steps(deploy) == ["actions/deploy-pages"]


def test_every_action_is_official_and_pinned_to_a_major_version() -> None:
    for path in (GITHUB / "workflows").glob("*.yml"):
        for job in load(path)["jobs"].values():
            for used in (s["uses"] for s in job["steps"] if "uses" in s):
                assert re.fullmatch(r"actions/[a-z-]+@v[0-9]+", used), (path.name, used)


def test_site_address_and_repository_are_set_only_in_mkdocs_yml() -> None:
    """Both are optional and set in one place; no placeholder host stands in for them."""
    config = load(ROOT / "mkdocs.yml")
    # repo_url would make the theme fetch star counts from the GitHub API on every page view.
    assert "repo_url" not in config
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for placeholder in ("example.org", "example.com", "OWNER"):
        assert placeholder not in text
    site_url, repo = config.get("site_url"), (config.get("extra") or {}).get("repository")
    for path in [*GITHUB.rglob("*"), ROOT / "README.md", ROOT / "CONTRIBUTING.md"]:
        if path.is_file():
            body = path.read_text(encoding="utf-8")
            assert not site_url or site_url.rstrip("/") not in body, path
            assert not repo or repo not in body, path


def test_issue_form_is_valid_and_offers_the_schema_vocabulary() -> None:
    form = load(GITHUB / "ISSUE_TEMPLATE" / "new-study.yml")
    assert {"name", "description", "body"} <= set(form)
    ids = [item["id"] for item in form["body"] if item["type"] != "markdown"]
    assert len(ids) == len(set(ids))
    for item in form["body"]:
        assert item["type"] in {"markdown", "input", "textarea", "dropdown", "checkboxes"}
        if item["type"] == "markdown":
            assert item["attributes"]["value"].strip()
        else:
            assert item["attributes"]["label"].strip()
    options = {
        item["id"]: item["attributes"].get("options") for item in form["body"] if "id" in item
    }
    assert options["conditions"] == list(labels("condition").values())
    assert options["cell-type"] == list(labels("cell_type").values())


def test_pull_request_template_has_the_review_checklist() -> None:
    body = (GITHUB / "pull_request_template.md").read_text(encoding="utf-8")
    assert body.count("- [ ]") >= 8
    for point in ("make check", "TODO", "last_reviewed", "commercial"):
        assert point in body


def pins(path: Path = ROOT / "requirements.txt") -> dict[str, str]:
    return dict(
        line.split("==")
        for line in path.read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.startswith("#")
    )


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_pre_commit_hooks_are_local_and_use_our_pins() -> None:
    """No hook repository is cloned (CI and some contributors cannot reach GitHub): every
    hook installs from the package index, pinned exactly as requirements.txt pins."""
    config = load(ROOT / ".pre-commit-config.yaml")
    pinned = {normalised(name): version for name, version in pins().items()}
    (local,) = config["repos"]
    assert local["repo"] == "local"
    hooks = {hook["id"]: hook for hook in local["hooks"]}
    assert set(hooks) == {"yamllint", "check-records"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        for dependency in hook["additional_dependencies"]:
            name, version = dependency.split("==")
            assert pinned[normalised(name)] == version, dependency
    assert hooks["yamllint"]["entry"] == "yamllint --strict"
    assert "yamllint==" + pinned["yamllint"] in hooks["yamllint"]["additional_dependencies"]
    assert hooks["check-records"]["entry"] == "python -m generator check"
    assert pinned["pre-commit"]  # pre-commit itself is pinned (requirements.txt)


def test_the_check_hook_installs_every_pinned_package_the_command_imports() -> None:
    """The hook runs `python -m generator check` in an environment holding only its
    additional_dependencies: each pinned package the command imports while it runs must be
    among them, and no other (jsonschema-rs was missing once, and every commit touching
    studies/ failed)."""
    code = (
        "import contextlib, io, sys, importlib.metadata as m; from generator.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):"
        " main(['check'])\n"
        "owners = m.packages_distributions()\n"
        "print('\\n'.join(sorted({d for name in list(sys.modules) "
        "for d in owners.get(name.split('.')[0], ())})))"
    )
    imported = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.split()
    pinned = {normalised(name) for name in pins()}
    needed = {normalised(name) for name in imported} & pinned
    config = load(ROOT / ".pre-commit-config.yaml")
    (hook,) = [h for h in config["repos"][0]["hooks"] if h["id"] == "check-records"]
    installed = {normalised(d.split("==")[0]) for d in hook["additional_dependencies"]}
    assert needed == installed
    assert {"jsonschema-rs", "jsonschema", "pyyaml"} <= installed


def test_ci_runs_the_hooks_with_pre_commit_itself() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make pre-commit-check" in ci
    script = (ROOT / ".ci" / "pre-commit-check").read_text(encoding="utf-8")
    assert '"$pre_commit" run --files "$record"' in script
    assert "summray" in script  # a misspelt field must fail, with FILE:LINE:COL
    job = load(GITHUB / "workflows" / "pr.yml")["jobs"]["check-test-build"]
    ran = steps(job)
    hooks = next(r for r in ran if "pre-commit run" in r)
    assert ".venv/bin/pre-commit run --show-diff-on-failure --files" in hooks
    assert ran.index("make site") < ran.index(hooks) < ran.index("make pre-commit-check")


def _yamllint_problems(texts: dict[str, str]) -> dict[str, list[str]]:
    config = YamlLintConfig(file=str(ROOT / ".yamllint"))
    found = {name: [str(p) for p in linter.run(body, config)] for name, body in texts.items()}
    return {name: problems for name, problems in found.items() if problems}


def test_yamllint_accepts_the_skeleton_and_drafts_the_commands_write() -> None:
    texts = {"new": skeleton("new-study")}
    for fixture in sorted((DATA / "ctgov").glob("*.json")):
        texts[fixture.name] = draft_text(yaml.safe_load(fixture.read_text(encoding="utf-8")), "x")
    assert len(texts) > 3
    assert _yamllint_problems(texts) == {}


@pytest.mark.slow  # 4 s; `make lint`, which `make test` runs first, lints these files too
def test_yamllint_accepts_records_and_project_files() -> None:
    texts = {
        path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
        for pattern in (
            "studies/*.yaml",
            "data/*.yaml",
            "tests/data/**/*.yaml",
            ".github/**/*.yml",
            "*.yml",
            "*.yaml",
        )
        for path in ROOT.glob(pattern)
    }
    assert len(texts) > 40
    assert _yamllint_problems(texts) == {}
