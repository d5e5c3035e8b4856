"""The documentation site builds strictly, and strict really fails on what it must catch.

`mkdocs.yml` sets `strict: true` and turns every link and navigation check up to a warning, so a
broken link, a missing anchor or a page left out of the navigation fails the build (and CI).
The built pages load nothing from the network.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "mkdocs.yml"
DOCS = ROOT / "docs"
OFF_SITE = re.compile(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)=["'](?:https?:)?//""")


def build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` of `config` into `site`, output captured."""
    return subprocess.run(  # noqa: S603 - this interpreter's own mkdocs
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config),
         "-d", str(site)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def copy_of_docs(tmp_path: Path) -> Path:
    """A copy of the docs and their config in `tmp_path`, to break on purpose."""
    shutil.copytree(DOCS, tmp_path / "docs")
    shutil.copy(CONFIG, tmp_path / "mkdocs.yml")
    return tmp_path / "mkdocs.yml"


def test_the_site_builds_strictly_and_fetches_nothing(tmp_path):
    result = build(CONFIG, tmp_path / "site")
    assert result.returncode == 0, result.stdout + result.stderr
    pages = sorted((tmp_path / "site").glob("*.html"))
    assert {p.stem for p in pages} >= {
        "index", "architecture", "http-api", "returns", "stream", "operations", "glossary",
    }  # fmt: skip
    fetching = [p.name for p in pages if OFF_SITE.search(p.read_text(encoding="utf-8"))]
    assert fetching == [], f"pages that load scripts, styles or images from elsewhere: {fetching}"


BREAKAGES = {
    "a broken link": ("glossary.md", "\nSee [nowhere](no-such-page.md).\n", "no-such-page.md"),
    "a missing anchor": (
        "glossary.md",
        "\nSee [there](index.md#no-such-heading).\n",
        "no-such-heading",
    ),
    "a page missing from the navigation": ("stray.md", "# Nobody can reach me\n", "stray.md"),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_strict_mode_fails_the_build_on(breakage, tmp_path):
    page, added, named = BREAKAGES[breakage]
    config = copy_of_docs(tmp_path)
    path = tmp_path / "docs" / page
    path.write_text((path.read_text() if path.exists() else "") + added)
    result = build(config, tmp_path / "site")
    assert result.returncode != 0
    assert named in result.stdout + result.stderr
