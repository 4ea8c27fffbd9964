"""Problems found in records, and the exceptions the pipeline raises."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in one record, located at the line of the offending value."""

    path: Path
    line: int
    column: int
    field: str
    message: str

    def format(self, root: Path | None = None, *, kind: str = "") -> str:
        """Render as `FILE:LINE:COL: FIELD.PATH: message` (path relative to root if possible);
        a kind such as "warning" goes before the message."""
        field = self.field or "(record)"
        message = f"{kind}: {self.message}" if kind else self.message
        return f"{self.shown_path(root)}:{self.line}:{self.column}: {field}: {message}"

    def shown_path(self, root: Path | None = None) -> str:
        """The file's path relative to root when it lies inside it, else as given."""
        if root is not None:
            # No resolve(): a symlinked record is reported under its own name.
            relative = os.path.relpath(self.path.absolute(), root.absolute())
            if not relative.startswith(".."):
                return relative
        return str(self.path)


class GeneratorError(Exception):
    """Base class for errors the command line reports without a traceback."""


class ValidationFailed(GeneratorError):
    """One or more records are invalid."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__(f"{len(issues)} problem(s) in the records")
        self.issues = sorted(issues)


class BuildError(GeneratorError):
    """The site engine failed."""


class RenderError(GeneratorError):
    """A template failed to render (a bug in the generator, not in a record)."""


class WriteError(GeneratorError):
    """A page cannot be written where it belongs."""


class ImportFailed(GeneratorError):
    """An import source cannot be read as the format the importer expects."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line, self.column = line, column
