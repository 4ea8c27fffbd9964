"""Serve a built site from localhost for the link checker and the browser tests."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class _Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        # linkchecker waits 0.1-0.6 s between requests to a host unless the server opts in to
        # faster checking with this header (its documented convention); then 1 s instead of 60.
        self.send_header("LinkChecker", "local test server")
        # As GitHub Pages serves the site: a browser keeps the theme's scripts, styles and
        # search index for ten minutes, so a test that opens every page does not fetch them
        # again for each (a fifth of the browser tests' time). The site does not change while
        # it is served.
        self.send_header("Cache-Control", "max-age=600")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request is noise in test and CI output


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve `site` on a free port of 127.0.0.1 in a background thread; yield its base URL."""
    handler = functools.partial(_Handler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
