"""Student and instructor editions, built from a small fixture book with one lab.

The fixture has the course's layout (root `_config.yml`, `book/`, `labs/`) and runs the
real `sagelab_book` extension through `jupyter-book build -W -n`, so it also covers a
missing lab (a placeholder page) and the launch links of a configured repository.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml
from site_checks import (
    REPO_ROOT,
    SOURCE_LAB_SECRETS,
    BookBuild,
    build_book,
    local_target,
    scan_page,
    source_lab_notebook,
)

pytestmark = pytest.mark.slow

LAUNCH = {
    "repository": "https://github.com/example-course/sagelab-student",
    "branch": "main",
    "jupyterhub_url": "https://hub.example.edu",
    "binderhub_url": "https://mybinder.org",
    "colab": True,
    "studiolab": True,
}


def write_fixture_book(root: Path) -> Path:
    config = {
        "title": "Fixture course",
        "author": "Tests",
        "only_build_toc_files": True,
        "exclude_patterns": ["labs", "**/.*", "book/_ext", "book/labs/files"],
        "execute": {"execute_notebooks": "off"},
        "launch_buttons": {"thebe": False},
        "repository": {"url": ""},
        "sphinx": {
            "recursive_update": True,
            "local_extensions": {"sagelab_book": str(REPO_ROOT / "book" / "_ext")},
            "config": {
                "html_copy_source": False,
                "html_show_sourcelink": False,
                "html_theme_options": {"use_download_button": False},
            },
        },
        "sagelab": {
            "labs": ["01-demo", "02-later"],
            "missing_labs": "placeholder",
            "launch": LAUNCH,
        },
    }
    toc = {
        "format": "jb-book",
        "root": "book/intro",
        "chapters": [
            {
                "file": "book/08-labs",
                "sections": [{"file": "book/labs/01-demo"}, {"file": "book/labs/02-later"}],
            }
        ],
    }
    (root / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (root / "_toc.yml").write_text(yaml.safe_dump(toc), encoding="utf-8")
    (root / "book").mkdir()
    (root / "book" / "intro.md").write_text("# Fixture course\n\nIntro.\n", encoding="utf-8")
    (root / "book" / "08-labs.md").write_text("# Labs\n\nThe labs.\n", encoding="utf-8")
    lab = root / "labs" / "01-demo"
    lab.mkdir(parents=True)
    nbformat.write(source_lab_notebook(), lab / "01-demo.ipynb")
    (lab / "claims-sample.csv").write_text("OUTCOME,AGE\n1,16-25\n", encoding="utf-8")
    return root


def build_edition(tmp_path_factory: pytest.TempPathFactory, edition: str) -> BookBuild:
    source = write_fixture_book(tmp_path_factory.mktemp(f"fixture-{edition}"))
    build = build_book(source, tmp_path_factory.mktemp(f"fixture-{edition}-out"), edition)
    assert build.returncode == 0, build.output[-3000:]
    assert build.warnings == []
    return build


@pytest.fixture(scope="module")
def student_build(tmp_path_factory) -> BookBuild:
    return build_edition(tmp_path_factory, "student")


@pytest.fixture(scope="module")
def instructor_build(tmp_path_factory) -> BookBuild:
    return build_edition(tmp_path_factory, "instructor")


def lab_page(build: BookBuild) -> Path:
    return build.html_dir / "book" / "labs" / "01-demo.html"


def test_student_page_hides_instructor_text(student_build):
    page = lab_page(student_build).read_text(encoding="utf-8")
    for secret in SOURCE_LAB_SECRETS:
        assert secret not in page
    assert "NotImplementedError" in page


def test_student_build_leaks_nothing_anywhere(student_build):
    for path in student_build.html_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".zip":
                with zipfile.ZipFile(path) as bundle:
                    data = b"".join(bundle.read(name) for name in bundle.namelist())
            for secret in SOURCE_LAB_SECRETS:
                assert secret.encode() not in data, (path, secret)
    assert not (student_build.html_dir / "_sources").exists()


def test_student_downloads_resolve(student_build):
    page = lab_page(student_build)
    downloads = {Path(link).name: link for link in scan_page(page).download_links}
    assert sorted(downloads) == ["01-demo.ipynb", "01-demo.zip"]
    for link in downloads.values():
        target, _ = local_target(page, link)
        assert target.is_file(), link
    notebook_target, _ = local_target(page, downloads["01-demo.ipynb"])
    nbformat.validate(nbformat.read(notebook_target, as_version=4))
    archive, _ = local_target(page, downloads["01-demo.zip"])
    with zipfile.ZipFile(archive) as bundle:
        assert sorted(bundle.namelist()) == ["01-demo/01-demo.ipynb", "01-demo/claims-sample.csv"]


def test_student_page_has_launch_links(student_build):
    links = scan_page(lab_page(student_build)).links
    expected_prefixes = [
        "https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com",
        "https://mybinder.org/v2/gh/example-course/sagelab-student/main?urlpath=",
        "https://colab.research.google.com/github/example-course/sagelab-student/blob/main/",
        "https://studiolab.sagemaker.aws/import/github/example-course/sagelab-student/blob/",
    ]
    for prefix in expected_prefixes:
        assert [link for link in links if link.startswith(prefix)], prefix


def test_missing_lab_becomes_a_placeholder_page(student_build):
    page = student_build.html_dir / "book" / "labs" / "02-later.html"
    text = page.read_text(encoding="utf-8")
    assert "not published yet" in text
    assert scan_page(page).download_links == []


def test_instructor_page_shows_solutions(instructor_build):
    page = lab_page(instructor_build).read_text(encoding="utf-8")
    for secret in SOURCE_LAB_SECRETS:
        assert secret in page
    assert "Instructor edition: this page shows solutions and hidden tests" in page
