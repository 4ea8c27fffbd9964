"""The record-format reference, readable in the repository without a build.

`python -m generator record-format` (`make record-format`) writes the
same Markdown as the site's Record format page (same template, same schema walk) behind a
note that it is generated; a test fails while the file differs from the schema.
"""

from __future__ import annotations

from pathlib import Path

from generator.render import environment
from generator.schema import field_docs

REPOSITORY_COPY = Path("docs") / "record-format.md"
NOTE = (
    "<!-- Generated from generator/schema/study.schema.json by `make record-format`; do not edit"
    " by hand. The site shows the same page as Record format. -->\n"
)


def page() -> str:
    """The Record format page, as the site's render stage writes it."""
    return environment().get_template("record-format.md.j2").render(fields=field_docs())


def repository_copy() -> str:
    """The text of docs/record-format.md: the page without its front matter (the site's
    search settings), which GitHub would show as a table."""
    text = page()
    if text.startswith("---\n"):
        text = text.split("\n---\n", 1)[1]
    return NOTE + text


def write_repository_copy(target: Path) -> bool:
    """Write the repository copy to target unless it already holds it; True when written."""
    from generator.write import write_if_changed

    return write_if_changed(target, repository_copy())
