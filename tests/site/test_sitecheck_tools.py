"""`make check-site` catches what it claims to: run on a deliberately broken copy of the site.

Needs the tools of requirements-check.txt, sitecheck/node_modules (vnu.jar) and Java, as
`make check-site` does; `make browser-test` runs this file.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.site.conftest import SITE


def test_check_site_reports_each_kind_of_breakage(tmp_path: Path) -> None:
    site = Path(shutil.copytree(SITE, tmp_path / "site"))
    page = site / "studies" / "passion-phase-1" / "index.html"
    html = page.read_text()
    assert 'href="../passion-2-year-follow-up/"' in html
    html = html.replace('href="../passion-2-year-follow-up/"', 'href="../no-such-study/"', 1)
    html = html.replace('href="#references"', 'href="#no-such-anchor"', 1)
    html = html.replace("</article>", '<p title="a" title="b">twice</p></article>', 1)
    html = html.replace("</head>", '<script src="https://cdn.example.org/x.js"></script></head>', 1)
    page.write_text(html)
    result = subprocess.run(
        [sys.executable, "-m", "sitecheck", str(site), "--content", str(ROOT / "content")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "studies/passion-phase-1/: ../no-such-study/: 404 File not found" in out
    assert "studies/passion-phase-1/index.html: #no-such-anchor: no id 'no-such-anchor'" in out
    assert "studies/passion-phase-1/index.html: Duplicate attribute “title”." in out
    assert "studies/passion-phase-1/index.html: <script src>: https://cdn.example.org/x.js" in out
    assert out.count("\n  ") == 4, out  # each breakage reported once, nothing else
    assert out.rstrip().splitlines()[-1].startswith("site checks FAILED")
