"""Editing record text in place: only the edited values' lines change; surprises are refused."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from generator.load import RawRecord, load_file
from generator.yamledit import Editor, EditRefused, _Edit
from tests.conftest import ROOT

TEXT = """\
# A record as an editor wrote it.
id: x
status: recruiting  # as registered
dates:
  start: "2019-03"
  completion: '2021'  # estimated in the registry
  # the sources line
  sources: [registry]
population:
  planned: 40
  sources:
  - registry
history:
  - date: "2020"
    kind: corrected
    note: A note
    source: registry

# about the references
references:
  - id: registry
    type: registry-entry
    title: >-
      Long title
      on two lines
    note: x
last_reviewed: "2026-01-01"
"""

EDITED = """\
# A record as an editor wrote it.
id: x
status: completed  # as registered
status_checked: "2026-12-01"
dates:
  start: "2019-04"  # estimated in the registry
  primary_completion: "2020-12"
  completion: '2021-05-03'
  results_posted: "2022-01-01"
  # the sources line
  sources: [registry, paper]
population:
  planned: 40
  sources:
  - registry
  - paper
  enrolled: 38
history:
  - date: "2020"
    kind: corrected
    note: A note
    source: registry
  - date: "2026-01-02"
    kind: status-changed
    note: Registry status changed from Recruiting to Completed
    source: registry

# about the references
references:
  - id: registry
    type: registry-entry
    title: >-
      Long title
      on two lines
    accessed: "2026-12-01"
    note: x
last_reviewed: "2026-01-01"
"""

DATES = ["start", "primary_completion", "completion", "results_posted", "sources"]


def test_edits_change_only_their_own_lines_and_keep_style_comments_and_order() -> None:
    editor = Editor(Path("x.yaml"), TEXT)
    assert editor.comment(("dates", "completion")) == "estimated in the registry"
    assert editor.comment(("status",)) == "as registered"
    assert editor.comment(("dates", "start")) is None
    editor.set(("status",), "completed")
    editor.set(("dates", "completion"), "2021-05-03", comment="")
    editor.set(("dates", "start"), "2019-04", comment="estimated in the registry")
    editor.add(("dates",), "primary_completion", "2020-12", order=DATES)
    editor.add(("dates",), "results_posted", "2022-01-01", order=DATES)
    editor.add(("population",), "enrolled", 38)
    editor.append(("population", "sources"), "paper")
    editor.append(("dates", "sources"), "paper")
    editor.append(
        ("history",),
        {
            "date": "2026-01-02",
            "kind": "status-changed",
            "note": "Registry status changed from Recruiting to Completed",
            "source": "registry",
        },
    )
    editor.add(("references", 0), "accessed", "2026-12-01", order=["title", "accessed", "note"])
    editor.add((), "status_checked", "2026-12-01", order=["status", "status_checked", "dates"])
    assert editor.result() == EDITED


def test_a_new_list_goes_before_the_next_key_in_order_and_its_comments() -> None:
    editor = Editor(Path("x.yaml"), TEXT.replace("history:\n", "other:\n"))
    event = {"date": "2026", "kind": "withdrawn", "note": "Withdrawn", "source": "registry"}
    editor.add((), "history", [event], order=["population", "history", "references"])
    lines = editor.result().splitlines()
    at = lines.index("history:")
    assert lines[at - 2 : at + 6] == [
        "    source: registry",
        "",
        "history:",
        '  - date: "2026"',
        "    kind: withdrawn",
        "    note: Withdrawn",
        "    source: registry",
        "# about the references",
    ]


@pytest.mark.parametrize("path", sorted((ROOT / "studies").glob("*.yaml")), ids=lambda p: p.stem)
def test_writing_every_value_of_a_real_record_back_leaves_its_text_as_it_was(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    record = load_file(path)
    assert isinstance(record, RawRecord)
    data = record.data
    editor = Editor(path, text)
    for key in ("status", "status_checked", "last_reviewed"):
        if key in data:
            editor.set((key,), data[key])
    for block, names in (("dates", DATES[:-1]), ("population", ["planned", "enrolled"])):
        for name in names:
            if name in data.get(block, {}):
                editor.set((block, name), data[block][name])
    assert editor.result() == text


def test_one_changed_value_is_one_changed_line_in_a_real_record() -> None:
    path = ROOT / "studies" / "duke-autologous-cord-blood-hie-rct.yaml"
    text = path.read_text(encoding="utf-8")
    editor = Editor(path, text)
    editor.set(("population", "enrolled"), 36)
    editor.set(("dates", "completion"), "2019-09")
    changed = [
        line
        for line in difflib.unified_diff(text.splitlines(), editor.result().splitlines(), n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert changed == [
        "-  enrolled: 35",
        "+  enrolled: 36",
        '-  completion: "2019-08-05"',
        '+  completion: "2019-09"',
    ]


def test_edits_that_would_change_anything_else_are_refused() -> None:
    editor = Editor(Path("x.yaml"), TEXT)
    editor.set(("status",), "completed")
    editor._edits.append(_Edit(0, 0, "extra: 1\n"))  # a stray change the data does not expect
    with pytest.raises(EditRefused, match="does not hold the intended data"):
        editor.result()
    for attempt, message in (
        (lambda e: e.set(("references", 0, "title"), "Short"), "block scalar"),
        (lambda e: e.set(("dates",), "2020"), "no scalar here"),
        (lambda e: e.add(("dates",), "start", "2020"), "already there"),
        (lambda e: e.append(("dates", "sources"), {"a": 1}), "only scalars"),
        (lambda e: e.add(("nowhere",), "a", 1), "no mapping here"),
    ):
        with pytest.raises(EditRefused, match=message):
            attempt(Editor(Path("x.yaml"), TEXT))
    with pytest.raises(EditRefused, match="YAML syntax error"):
        Editor(Path("x.yaml"), "a: [")
