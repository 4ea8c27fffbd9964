"""The record-format reference, readable in the repository without a build.

`python -m generator.record_format docs/record-format.md` (`make record-format`) writes the
same Markdown as the site's Record format page (same template, same schema walk) behind a
note that it is generated; a test fails while the file differs from the schema.
"""

from __future__ import annotations

import sys
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


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else REPOSITORY_COPY
    text = repository_copy()
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        print(f"{target} is up to date")
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
