"""Report a problem from the page: the issue form and the record's file, linked from each study
page once mkdocs.yml has the repository's address, and never built from record text."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
import yaml

from generator.collate import collate_site
from generator.errors import Issue
from generator.load import load_repository
from generator.model import build_study
from generator.render import EDIT_BRANCH, ISSUE_FORM, record_addresses, render_pages
from tests.conftest import ROOT, SITE_URL, copy_project, minimal_record, run_generator

REPO = "https://github.com/example/evidence-site"


def config(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "mkdocs.yml"
    path.write_text(f"site_url: {SITE_URL}\n{extra}", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("", None),
        ("extra:\n  social: []\n", None),
        ("extra:\n  repository: https://github.com/OWNER/evidence-site\n", None),
        (f"extra:\n  repository: {REPO}/\n", REPO),
        (
            "extra:\n  repository: https://git.example.org:8443/team/evidence-site\n",
            "https://git.example.org:8443/team/evidence-site",
        ),
    ],
)
def test_the_address_is_read_and_the_placeholder_counts_as_unset(
    tmp_path: Path, extra: str, expected: str | None
) -> None:
    assert load_repository(config(tmp_path, extra)) == expected


@pytest.mark.parametrize(
    "value",
    [
        "http://github.com/example/evidence-site",
        "javascript:alert(1)",
        "https://github.com/example/evidence-site?x=1",
        'https://github.com/example/evidence-site"onmouseover=alert(1)',
        "https://github.com/example/evidence site",
        "https://github.com",
        "7",
        "[https://github.com/example/evidence-site]",
    ],
)
def test_anything_but_a_plain_https_address_is_refused(tmp_path: Path, value: str) -> None:
    found = load_repository(config(tmp_path, f"extra:\n  repository: {yaml.safe_dump(value)}"))
    assert isinstance(found, Issue)
    assert found.format() == (
        f"{tmp_path / 'mkdocs.yml'}:1:1: extra.repository: set it to the repository's https "
        "address, e.g. https://github.com/NAME/evidence-site, or leave it out"
    )


def test_check_refuses_a_bad_address_with_file_line_and_column(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    mkdocs = project / "mkdocs.yml"
    text = mkdocs.read_text(encoding="utf-8")
    assert "\nextra:" not in text
    mkdocs.write_text(text + "\nextra:\n  repository: javascript:alert(1)\n", encoding="utf-8")
    result = run_generator("check", cwd=project)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "mkdocs.yml:1:1: extra.repository: set it to the repository's https address, e.g. "
        "https://github.com/NAME/evidence-site, or leave it out"
    )
    assert "Traceback" not in result.stderr


def page(repository: str | None, ident: str = "ren-2020") -> str:
    site = collate_site(
        [build_study(minimal_record(ident))], site_url=SITE_URL, repository=repository
    )
    return render_pages(site)[PurePosixPath(f"studies/{ident}.md")]


def test_each_study_page_links_the_form_with_its_id_and_its_file() -> None:
    body = page(REPO)
    assert (
        "**Something wrong or missing on this page?** [Report an error in this record]"
        f"({REPO}/issues/new?template=report-error.yml&record=ren-2020&title=Error+in+ren-2020)"
        " (a short form, with this record named), or [edit the record]"
        f"({REPO}/edit/main/studies/ren-2020.yaml) and propose the change. "
        "Both need a GitHub account.\n"
    ) in body


def test_without_an_address_the_links_are_left_out() -> None:
    body = page(None)
    assert "Report an error" not in body
    assert "/edit/" not in body
    assert body == page(None)  # and nothing else changes


def test_only_validated_ids_and_https_addresses_make_links() -> None:
    for bad_id in ("Ren_2020", "x)](javascript:alert(1)", "a b", "../../etc"):
        with pytest.raises(ValueError, match="refusing to link"):
            record_addresses(REPO, bad_id)
    with pytest.raises(ValueError, match="refusing to link"):
        record_addresses("javascript:alert(1)", "ren-2020")


def test_the_real_configuration_makes_no_link_until_the_address_is_set() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    extra = config.get("extra") or {}
    if load_repository(ROOT / "mkdocs.yml") is None:  # unset (or OWNER) until published
        assert "social" not in extra  # no footer link to a placeholder either
    else:
        assert extra["repository"] == extra["social"][0]["link"]


def test_the_links_match_the_issue_form_and_the_published_branch() -> None:
    form = yaml.safe_load((ROOT / ".github" / "ISSUE_TEMPLATE" / ISSUE_FORM).read_text("utf-8"))
    inputs = {item["id"]: item for item in form["body"] if item["type"] != "markdown"}
    assert inputs["record"]["type"] == "input"  # filled in from `record=` in the link
    assert inputs["record"]["validations"]["required"] is True
    pages = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text("utf-8"))
    assert pages[True]["push"]["branches"] == [EDIT_BRANCH]
