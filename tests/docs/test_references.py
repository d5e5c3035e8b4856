"""Every reference in the project points inside the repository, and none names a tracker issue.

The design documents the project was started from lived outside it; a newcomer who clones the
repository cannot read them, so no file may name them or any path outside the repository. Their
names are fine only as links to the project's own pages under `docs/` (a path that exists).
Also: every repository path the docs name in backticks exists, so the docs cannot point at a
file that moved. And no file names an issue by number: code and docs say what a thing does and
why; when it was asked for belongs in the version history, which a reader can search.
"""

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The names of the background documents, spelled in pieces so this file does not name them.
BACKGROUND = frozenset(
    f"{name}.md" for name in ("architecture", "api", "domain", "returns", "style")
)
MARKDOWN_PATH = re.compile(r"[\w./-]*\.md\b")
OUTSIDE = re.compile(r"(?i)\bshared[ /]docs\b|(?<![\w.])/(?:work|home|Users)/[\w.-]")
# Spelled in pieces so this file does not match itself.
ISSUE_NUMBER = re.compile(r"(?i)\bissues?" + r"[ #]+\d+")


def project_files() -> list[Path]:
    """Every tracked file of the repository, as git lists it."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"],  # noqa: S607 - the git of this checkout
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [ROOT / name for name in listed.split("\0") if name]


def text_of(path: Path) -> str | None:
    """The file's text, or None for a binary file (or a tracked file deleted locally)."""
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
        return None


def points_inside(path: Path, reference: str) -> bool:
    """Whether a background document's name, as written in `path`, is a file of `docs/`
    (relative to the file, to the repository, or for the site's config to its `docs_dir`)."""
    docs = (ROOT / "docs").resolve()
    bases = (path.parent, ROOT, docs) if path.name == "mkdocs.yml" else (path.parent, ROOT)
    for base in bases:
        target = (base / reference).resolve()
        if target.is_file() and target.is_relative_to(docs):
            return True
    return False


def tracked_lines() -> Iterator[tuple[Path, str, str]]:
    """(file, `path:line`, line) for every line of every tracked text file."""
    for path in project_files():
        text = text_of(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            yield path, f"{path.relative_to(ROOT)}:{number}", line


def outside_references() -> list[str]:
    """`path:line: reference` for every reference to something outside the repository."""
    found = []
    for path, where, line in tracked_lines():
        for match in MARKDOWN_PATH.finditer(line):
            named = match.group()
            if named.rsplit("/", 1)[-1] in BACKGROUND and not points_inside(path, named):
                found.append(f"{where}: {named}")
        found += [f"{where}: {m.group()}" for m in OUTSIDE.finditer(line)]
    return found


def issue_numbers() -> list[str]:
    """`path:line: mention` for every mention of a tracker issue by its number."""
    return [
        f"{where}: {m.group()}"
        for _, where, line in tracked_lines()
        for m in ISSUE_NUMBER.finditer(line)
    ]


def test_the_check_finds_what_it_must():
    """The rules themselves: a bare or foreign name is caught, a link into docs/ is not."""
    readme, page, site = ROOT / "README.md", ROOT / "docs" / "index.md", ROOT / "mkdocs.yml"
    architecture, domain = "architecture" + ".md", "domain" + ".md"  # not named in this file
    assert points_inside(readme, "docs/" + architecture)
    assert points_inside(page, architecture)
    assert points_inside(site, architecture)
    assert not points_inside(readme, architecture)
    assert not points_inside(readme, "docs/" + domain)
    assert OUTSIDE.search("see the shared" + " docs") and OUTSIDE.search("at /" + "work/x")
    assert not OUTSIDE.search("http://127.0.0.1:8001/v1/work/x")
    for text in ("(issue" + " 8)", "Issue" + " 13 changed", "issues" + " 9, 13", "issue" + " #4"):
        assert ISSUE_NUMBER.search(text), text
    for text in ("an issue with the broker", "issued 3 tokens", "tissue 5"):
        assert not ISSUE_NUMBER.search(text), text


FINDERS = {"outside references": outside_references, "issue numbers": issue_numbers}


@pytest.mark.parametrize("kind", FINDERS)
def test_no_file_points_outside_the_repository_or_names_an_issue(kind):
    found = FINDERS[kind]()
    assert found == [], f"{len(found)} {kind}:\n" + "\n".join(found)


REPO_PATH = re.compile(
    r"`((?:schemas|chassis|services|tools|deploy|docs|tests|bench)/[^`\s]+"
    r"|Makefile|docker-compose\.yml|mkdocs\.yml|pyproject\.toml|README\.md)`"
)


def test_every_repository_path_the_docs_name_exists():
    missing = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            for match in REPO_PATH.finditer(line):
                named = match.group(1).rstrip("/").split("::")[0]
                if any(c in named for c in "<>*{}") or (ROOT / named).exists():
                    continue
                missing.append(f"docs/{page.name}:{number}: {named}")
    assert missing == [], "paths named in the docs that do not exist:\n" + "\n".join(missing)
