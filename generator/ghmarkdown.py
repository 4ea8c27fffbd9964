"""Record and registry text made inert for GitHub Markdown (issue bodies, pull-request
comments, job summaries), where the refresh report and the meaning diff are read.

Unlike the site's Markdown (`render.text`), GitHub also turns `@name` into a mention and
`#12` into a link to an issue; text from records or from a registry must do neither.
"""

from __future__ import annotations

import re

from generator.draft import clean

_MARKUP = re.compile(r"([\\`*_\[\]|~])")
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "@": "&#64;", "#": "&#35;"})


def inert(text: str) -> str:
    """One line of text that shows as itself: no markup, links, HTML, mentions or issue
    references, and no line breaks or invisible characters."""
    return _MARKUP.sub(r"\\\1", clean(text).translate(_ENTITIES))
