"""The lab page generator of the site: settings, student versions, launch links, files."""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml
from site_checks import REPO_ROOT, SOURCE_LAB_SECRETS, source_lab_notebook

sys.path.insert(0, str(REPO_ROOT / "book" / "_ext"))
from sagelab_book import labpages  # noqa: E402
from sagelab_book.accessibility import label_toctree_toggles  # noqa: E402
from sagelab_book.labpages import (  # noqa: E402
    LabPageError,
    make_student_notebook,
    write_lab_pages,
)
from sagelab_book.launch import build_launch_links  # noqa: E402
from sagelab_book.settings import (  # noqa: E402
    LaunchSettings,
    SettingsError,
    load_settings,
    parse_settings,
    read_edition,
)

LAUNCH = {
    "repository": "https://github.com/example-course/sagelab-student",
    "branch": "main",
    "path": "{lab}/{lab}.ipynb",
    "jupyterhub_url": "https://hub.example.edu/",
    "binderhub_url": "https://mybinder.org",
    "colab": True,
    "studiolab": True,
}


def make_book(root: Path, labs: list[str], missing_labs: str = "error", **launch) -> Path:
    """Write a book root holding nbgrader sources for `labs` and return it."""
    for lab in labs:
        folder = root / "labs" / lab
        folder.mkdir(parents=True)
        nbformat.write(source_lab_notebook(f"Lab {lab}"), folder / f"{lab}.ipynb")
    config = {
        "sagelab": {
            "labs": labs,
            "missing_labs": missing_labs,
            "launch": launch,
        }
    }
    (root / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root


def all_text(notebook: nbformat.NotebookNode) -> str:
    return nbformat.writes(notebook)


# Student versions


def test_student_version_removes_instructor_text():
    student = make_student_notebook(source_lab_notebook(), "01-demo")
    text = all_text(student)
    for secret in SOURCE_LAB_SECRETS:
        assert secret not in text
    assert "raise NotImplementedError()" in text
    assert "assert claim_rate([1, 0]) == 0.5" in text


def test_student_version_locks_test_cells():
    student = make_student_notebook(source_lab_notebook(), "01-demo")
    test_cell = student.cells[2]
    assert test_cell.metadata["nbgrader"]["locked"] is True
    assert test_cell.metadata["editable"] is False
    assert test_cell.metadata["nbgrader"]["checksum"]


def test_student_version_clears_outputs():
    source = source_lab_notebook()
    source.cells[1].outputs = [nbformat.v4.new_output("stream", text="solution_output")]
    student = make_student_notebook(source, "01-demo")
    assert "solution_output" not in all_text(student)


def test_student_version_leaves_source_unchanged():
    source = source_lab_notebook()
    before = nbformat.writes(source)
    make_student_notebook(source, "01-demo")
    assert nbformat.writes(source) == before


def test_autotest_lab_is_rejected():
    source = source_lab_notebook()
    source.cells[2].source = "### AUTOTEST claim_rate([1, 0])"
    with pytest.raises(LabPageError) as error:
        make_student_notebook(source, "01-demo")
    assert str(error.value) == (
        "lab 01-demo: cell 2 uses nbgrader AUTOTEST, which this site generator does not run; "
        "release the lab with 'nbgrader generate_assignment' instead"
    )


def test_marker_in_unmarked_cell_is_rejected():
    source = source_lab_notebook()
    source.cells.append(
        nbformat.v4.new_markdown_cell("Notes\n\nBEGIN HIDDEN TESTS\nsecret\nEND HIDDEN TESTS")
    )
    with pytest.raises(LabPageError) as error:
        make_student_notebook(source, "01-demo")
    assert str(error.value) == (
        "lab 01-demo: nbgrader could not make the student version: Hidden test region "
        "detected in a non-grade cell; please make sure all solution regions are within "
        "'Autograder tests' cells."
    )


def test_leftover_marker_is_caught_after_preprocessing(monkeypatch):
    # The final scan must catch instructor text even if a preprocessor let it through.
    monkeypatch.setattr(labpages, "STUDENT_PREPROCESSORS", ())
    with pytest.raises(LabPageError) as error:
        make_student_notebook(source_lab_notebook(), "01-demo")
    assert str(error.value) == (
        "lab 01-demo: cell 1 still contains 'BEGIN SOLUTION' in the student version; "
        "mark that cell as a solution or test cell in nbgrader's metadata"
    )


# Settings


def test_edition_defaults_to_student():
    assert read_edition({}) == "student"
    assert read_edition({"SAGELAB_EDITION": "instructor"}) == "instructor"


def test_unknown_edition_is_rejected():
    with pytest.raises(SettingsError) as error:
        read_edition({"SAGELAB_EDITION": "teacher"})
    assert str(error.value) == (
        "SAGELAB_EDITION='teacher' is not an edition; use one of student, instructor"
    )


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            {"labs": ["1-eda"]},
            "sagelab.labs: '1-eda' is not a lab id; use two digits, a hyphen and lower-case "
            "words, such as 01-eda",
        ),
        (
            {"labs": []},
            "sagelab.labs: [] is not a list of lab ids; list them like [01-eda, 02-prepare]",
        ),
        ({"labs": ["01-a", "01-a"]}, "sagelab.labs: ['01-a', '01-a'] lists a lab more than once"),
        (
            {"labs": ["01-a"], "missing_labs": "skip"},
            "sagelab.missing_labs: 'skip' is not valid; use one of error, placeholder",
        ),
        (
            {"labs": ["01-a"], "labs_output": "labs/out"},
            "sagelab.labs_output: labs/out would mix generated pages with 'labs/' or '_build/'; "
            "use a folder under book/, such as book/labs",
        ),
        (
            {"labs": ["01-a"], "labs_source": "../labs"},
            "sagelab.labs_source: '../labs' must be a folder relative to the book root, "
            "without '..'",
        ),
        (
            {"labs": ["01-a"], "colour": "red"},
            "sagelab: unknown key(s) colour; known keys are labs, labs_output, labs_source, "
            "launch, missing_labs",
        ),
        (
            {"labs": ["01-a"], "launch": {"colab": True}},
            "sagelab.launch.repository is empty, but launch targets are enabled; set it to the "
            "GitHub repository that holds the released student notebooks",
        ),
        (
            {"labs": ["01-a"], "launch": {"repository": "https://gitlab.com/a/b"}},
            "sagelab.launch.repository: 'https://gitlab.com/a/b' is not a GitHub repository "
            "URL; use https://github.com/<owner>/<name>",
        ),
        (
            {"labs": ["01-a"], "launch": {"repository": LAUNCH["repository"], "colab": "yes"}},
            "sagelab.launch.colab: 'yes' must be true or false",
        ),
        (
            {"labs": ["01-a"], "launch": {"jupyterhub_url": "hub.example.edu"}},
            "sagelab.launch.jupyterhub_url: 'hub.example.edu' is not an http(s) URL such as "
            "https://hub.example.edu",
        ),
        (
            {"labs": ["01-a"], "launch": {"path": "notebooks/lab.ipynb"}},
            "sagelab.launch.path: 'notebooks/lab.ipynb' must contain '{lab}', such as "
            "'{lab}/{lab}.ipynb'",
        ),
    ],
)
def test_invalid_settings_are_rejected(tmp_path, block, message):
    with pytest.raises(SettingsError) as error:
        parse_settings(block, tmp_path, "student")
    assert str(error.value) == message


def test_missing_sagelab_block_is_rejected(tmp_path):
    (tmp_path / "_config.yml").write_text("title: x\n", encoding="utf-8")
    with pytest.raises(SettingsError) as error:
        load_settings(tmp_path, {})
    assert str(error.value) == (
        f"{tmp_path / '_config.yml'}: the 'sagelab:' block is missing or not a mapping"
    )


def test_course_config_is_valid():
    settings = load_settings(REPO_ROOT, {})
    assert settings.labs == (
        "01-eda",
        "02-prepare",
        "03-train",
        "04-tune",
        "05-deploy",
        "06-ab-testing",
        "07-reflection",
        "08-capstone",
    )
    assert settings.labs_output == REPO_ROOT / "book" / "labs"


# Launch links


def test_launch_links_follow_each_service_format():
    links = build_launch_links(LaunchSettings(**LAUNCH), "03-train")
    assert [(link.label, link.url) for link in links] == [
        (
            "JupyterHub",
            "https://hub.example.edu/hub/user-redirect/git-pull"
            "?repo=https%3A%2F%2Fgithub.com%2Fexample-course%2Fsagelab-student"
            "&branch=main&urlpath=lab%2Ftree%2Fsagelab-student%2F03-train%2F03-train.ipynb",
        ),
        (
            "Binder",
            "https://mybinder.org/v2/gh/example-course/sagelab-student/main"
            "?urlpath=lab%2Ftree%2F03-train%2F03-train.ipynb",
        ),
        (
            "Colab",
            "https://colab.research.google.com/github/example-course/sagelab-student/blob/main/"
            "03-train/03-train.ipynb",
        ),
        (
            "SageMaker Studio Lab",
            "https://studiolab.sagemaker.aws/import/github/example-course/sagelab-student/blob/"
            "main/03-train/03-train.ipynb",
        ),
    ]


def test_classic_interface_links_open_the_tree():
    launch = LaunchSettings(**{**LAUNCH, "jupyterhub_interface": "notebook", "colab": False})
    urls = [link.url for link in build_launch_links(launch, "01-eda")]
    assert "urlpath=tree%2Fsagelab-student%2F01-eda%2F01-eda.ipynb" in urls[0]
    assert urls[1].endswith("?urlpath=tree%2F01-eda%2F01-eda.ipynb")


def test_no_repository_means_no_launch_links():
    assert build_launch_links(LaunchSettings(), "01-eda") == []


# Writing the pages


def test_pages_are_written_for_each_lab(tmp_path):
    settings = load_settings(make_book(tmp_path, ["01-demo", "02-more"], **LAUNCH), {})
    pages = write_lab_pages(settings)

    assert [page.lab for page in pages] == ["01-demo", "02-more"]
    page = nbformat.read(tmp_path / "book" / "labs" / "01-demo.ipynb", as_version=4)
    assert page.cells[0].source.startswith("# Lab 01-demo")
    header = page.cells[1].source
    assert "{download}`01-demo.ipynb <files/01-demo.ipynb>`" in header
    assert "[JupyterHub](https://hub.example.edu/hub/user-redirect/git-pull?" in header
    assert "[SageMaker Studio Lab](https://studiolab.sagemaker.aws/import/github/" in header
    assert "{doc}`../08-labs`" in header
    for secret in SOURCE_LAB_SECRETS:
        assert secret not in all_text(page)


def test_download_has_no_header(tmp_path):
    settings = load_settings(make_book(tmp_path, ["01-demo"]), {})
    write_lab_pages(settings)
    download = nbformat.read(tmp_path / "book" / "labs" / "files" / "01-demo.ipynb", as_version=4)
    assert not any("Work on this lab" in cell.source for cell in download.cells)
    nbformat.validate(download)


def test_instructor_edition_keeps_solutions(tmp_path):
    book = make_book(tmp_path, ["01-demo"])
    write_lab_pages(load_settings(book, {"SAGELAB_EDITION": "instructor"}))
    page = all_text(nbformat.read(book / "book" / "labs" / "01-demo.ipynb", as_version=4))
    assert "solution_marker_rate" in page
    assert "hidden_marker_test" in page
    assert "Instructor edition: this page shows solutions and hidden tests" in page


def test_missing_lab_fails_by_default(tmp_path):
    settings = load_settings(make_book(tmp_path, ["01-demo"]), {})
    (tmp_path / "labs" / "01-demo" / "01-demo.ipynb").unlink()
    with pytest.raises(LabPageError) as error:
        write_lab_pages(settings)
    assert str(error.value) == (
        f"lab 01-demo: source notebook {tmp_path / 'labs' / '01-demo' / '01-demo.ipynb'} not "
        "found; add it, remove 01-demo from sagelab.labs, or set sagelab.missing_labs to "
        "'placeholder'"
    )


def test_missing_lab_gets_a_placeholder(tmp_path):
    book = make_book(tmp_path, ["01-demo"], missing_labs="placeholder")
    settings = load_settings(book, {})
    settings = type(settings)(**{**settings.__dict__, "labs": ("01-demo", "02-later")})

    pages = write_lab_pages(settings)

    assert [page.placeholder for page in pages] == [False, True]
    placeholder = nbformat.read(book / "book" / "labs" / "02-later.ipynb", as_version=4)
    assert placeholder.cells[0].source == "# Lab 02-later"
    assert "not published yet" in placeholder.cells[1].source
    assert not (book / "book" / "labs" / "files" / "02-later.ipynb").exists()


def test_unreadable_lab_is_reported(tmp_path):
    book = make_book(tmp_path, ["01-demo"])
    (book / "labs" / "01-demo" / "01-demo.ipynb").write_text("{not json", encoding="utf-8")
    with pytest.raises(LabPageError) as error:
        write_lab_pages(load_settings(book, {}))
    assert str(error.value).startswith(
        f"lab 01-demo: cannot read {book / 'labs' / '01-demo' / '01-demo.ipynb'}: "
    )


def test_extra_lab_files_are_zipped_with_the_notebook(tmp_path):
    book = make_book(tmp_path, ["01-demo"])
    (book / "labs" / "01-demo" / "data").mkdir()
    (book / "labs" / "01-demo" / "data" / "sample.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (book / "labs" / "01-demo" / ".ipynb_checkpoints").mkdir()
    (book / "labs" / "01-demo" / ".ipynb_checkpoints" / "x.ipynb").write_text("{}")

    pages = write_lab_pages(load_settings(book, {}))

    with zipfile.ZipFile(pages[0].archive) as bundle:
        assert sorted(bundle.namelist()) == ["01-demo/01-demo.ipynb", "01-demo/data/sample.csv"]
        assert b"solution_marker_rate" not in bundle.read("01-demo/01-demo.ipynb")
    page = nbformat.read(book / "book" / "labs" / "01-demo.ipynb", as_version=4)
    assert "{download}`01-demo.zip <files/01-demo.zip>`" in page.cells[1].source


def test_stale_generated_files_are_removed(tmp_path):
    book = make_book(tmp_path, ["01-demo"])
    output = book / "book" / "labs"
    (output / "files").mkdir(parents=True)
    (output / "09-old.ipynb").write_text("{}")
    (output / "files" / "09-old.zip").write_bytes(b"")
    (output / "notes.txt").write_text("kept")

    write_lab_pages(load_settings(book, {}))

    assert sorted(path.name for path in output.iterdir()) == [
        "01-demo.ipynb",
        "files",
        "notes.txt",
    ]
    assert sorted(path.name for path in (output / "files").iterdir()) == ["01-demo.ipynb"]


def test_unchanged_pages_are_not_rewritten(tmp_path):
    settings = load_settings(make_book(tmp_path, ["01-demo"]), {})
    write_lab_pages(settings)
    page = tmp_path / "book" / "labs" / "01-demo.ipynb"
    os.utime(page, (1_000_000, 1_000_000))

    write_lab_pages(settings)

    assert page.stat().st_mtime == 1_000_000


# Sidebar accessibility


def test_unnamed_sidebar_toggles_get_a_label():
    html = (
        '<ul><li class="has-children"><a href="labs.html">8. Labs</a>'
        '<details><summary><span class="toctree-toggle" role="presentation">'
        '<i class="fa-solid fa-chevron-down"></i></span></summary><ul></ul></details></li>'
        '<li class="has-children"><details><summary><p class="caption">Hands-on</p>'
        "</summary></details></li></ul>"
    )
    labelled = label_toctree_toggles(html)
    assert '<summary aria-label="Show or hide the pages of 8. Labs">' in labelled
    assert '<summary><p class="caption">Hands-on</p></summary>' in labelled
