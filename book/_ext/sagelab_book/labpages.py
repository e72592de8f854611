"""Generate the lab pages of the site from the nbgrader source notebooks.

Each lab ``labs/<id>/<id>.ipynb`` is an nbgrader source notebook with
solutions, hidden tests and mark schemes. The student edition runs it through
the preprocessors that ``nbgrader generate_assignment`` uses (nbgrader 0.9.6),
minus the two that need a course database or extra files
(``IncludeHeaderFooter``, ``SaveCells``), so the page and the download carry
neither solutions nor hidden tests. The instructor edition keeps the source
notebook as it is.

Output, in the ``labs_output`` folder (git-ignored, rewritten on every build):

* ``<id>.ipynb``: the page, with a header cell holding the download and launch links;
* ``files/<id>.ipynb``: the notebook offered for download, without that header;
* ``files/<id>.zip``: the notebook and the lab's other files, when the lab has any.
"""

from __future__ import annotations

import io
import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    LockCells,
)

from .launch import build_launch_links
from .settings import SiteSettings

logger = logging.getLogger(__name__)

STUDENT_PREPROCESSORS = (
    LockCells,
    ClearSolutions,
    ClearOutput,
    CheckCellMetadata,
    ComputeChecksums,
    ClearHiddenTests,
    ClearMarkScheme,
    ComputeChecksums,
    CheckCellMetadata,
)
# Text that must never reach a student page; each marks instructor-only content in nbgrader.
INSTRUCTOR_MARKERS = ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME")
SKIPPED_LAB_FILES = {".ipynb_checkpoints", "__pycache__", ".DS_Store"}


class LabPageError(RuntimeError):
    """A lab notebook that cannot be turned into a site page."""


@dataclass(frozen=True)
class LabPage:
    """The files written for one lab."""

    lab: str
    page: Path
    download: Path
    archive: Path | None
    placeholder: bool


def lab_source_path(settings: SiteSettings, lab: str) -> Path:
    """Return where the nbgrader source notebook of ``lab`` is expected."""
    return settings.labs_source / lab / f"{lab}.ipynb"


def make_student_notebook(source: NotebookNode, lab: str = "") -> NotebookNode:
    """Return the student version of an nbgrader source notebook.

    Raises :class:`LabPageError` when the notebook uses nbgrader autotests
    (they need a running kernel and ``nbgrader generate_assignment``) or
    when instructor-only text survives the preprocessors.
    """
    notebook = nbformat.from_dict(source)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and "### AUTOTEST" in cell.source:
            raise LabPageError(
                f"lab {lab}: cell {index} uses nbgrader AUTOTEST, which this site generator "
                "does not run; release the lab with 'nbgrader generate_assignment' instead"
            )

    resources: dict = {}
    try:
        for preprocessor_class in STUDENT_PREPROCESSORS:
            notebook, resources = preprocessor_class().preprocess(notebook, resources)
    except (RuntimeError, ValueError) as error:
        # nbgrader reports misplaced delimiters and bad cell metadata this way.
        raise LabPageError(
            f"lab {lab}: nbgrader could not make the student version: {error}"
        ) from error

    for index, cell in enumerate(notebook.cells):
        for marker in INSTRUCTOR_MARKERS:
            if marker in cell.source:
                raise LabPageError(
                    f"lab {lab}: cell {index} still contains {marker!r} in the student version; "
                    "mark that cell as a solution or test cell in nbgrader's metadata"
                )
    return notebook


def write_lab_pages(settings: SiteSettings) -> list[LabPage]:
    """Write the page, download and archive of every lab; remove stale files."""
    files_folder = settings.labs_output / "files"
    files_folder.mkdir(parents=True, exist_ok=True)

    pages = [_write_lab(settings, lab) for lab in settings.labs]

    expected = {page.page for page in pages} | {page.download for page in pages}
    expected |= {page.archive for page in pages if page.archive is not None}
    for folder in (settings.labs_output, files_folder):
        for stale in folder.iterdir():
            if stale.is_file() and stale.suffix in (".ipynb", ".zip") and stale not in expected:
                logger.info("removing stale lab file %s", stale)
                stale.unlink()
    return pages


def _write_lab(settings: SiteSettings, lab: str) -> LabPage:
    source_path = lab_source_path(settings, lab)
    download = settings.labs_output / "files" / f"{lab}.ipynb"
    page = settings.labs_output / f"{lab}.ipynb"

    if not source_path.is_file():
        if settings.missing_labs == "error":
            raise LabPageError(
                f"lab {lab}: source notebook {source_path} not found; add it, remove {lab} "
                "from sagelab.labs, or set sagelab.missing_labs to 'placeholder'"
            )
        logger.info("lab %s: %s not found, writing a placeholder page", lab, source_path)
        _write_if_changed(page, nbformat.writes(_placeholder_notebook(lab, source_path)))
        download.unlink(missing_ok=True)
        return LabPage(lab, page, download, None, placeholder=True)

    try:
        source = nbformat.read(source_path, as_version=4)
    except (OSError, ValueError) as error:
        raise LabPageError(f"lab {lab}: cannot read {source_path}: {error}") from error

    student = settings.edition == "student"
    notebook = make_student_notebook(source, lab) if student else source
    _write_if_changed(download, nbformat.writes(notebook))

    archive = _write_archive(settings, lab, source_path.parent, download)
    page_notebook = _with_header(notebook, settings, lab, archive)
    _write_if_changed(page, nbformat.writes(page_notebook))
    return LabPage(lab, page, download, archive, placeholder=False)


def _write_archive(
    settings: SiteSettings, lab: str, lab_folder: Path, notebook: Path
) -> Path | None:
    # Extra files (data, helper modules) are shipped in a zip next to the notebook.
    extras = sorted(
        path
        for path in lab_folder.rglob("*")
        if path.is_file()
        and path.name != f"{lab}.ipynb"
        and not SKIPPED_LAB_FILES.intersection(path.relative_to(lab_folder).parts)
    )
    archive = settings.labs_output / "files" / f"{lab}.zip"
    if not extras:
        archive.unlink(missing_ok=True)
        return None

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        # A fixed timestamp keeps the archive byte-identical between builds.
        for path, name in [(notebook, f"{lab}/{lab}.ipynb")] + [
            (extra, f"{lab}/{extra.relative_to(lab_folder).as_posix()}") for extra in extras
        ]:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, path.read_bytes())
    _write_if_changed(archive, buffer.getvalue())
    return archive


def _with_header(
    notebook: NotebookNode, settings: SiteSettings, lab: str, archive: Path | None
) -> NotebookNode:
    page = nbformat.from_dict(notebook)
    header = nbformat.v4.new_markdown_cell(_header_markdown(settings, lab, archive))
    header.metadata["tags"] = ["sagelab-lab-header"]

    if page.cells and _starts_with_title(page.cells[0]):
        page.cells.insert(1, header)
    else:
        page.cells.insert(0, header)
        page.cells.insert(0, nbformat.v4.new_markdown_cell(f"# Lab {lab}"))
    for cell in page.cells:
        cell.pop("id", None)
    page.nbformat, page.nbformat_minor = 4, 4
    return page


def _starts_with_title(cell: NotebookNode) -> bool:
    return cell.cell_type == "markdown" and cell.source.lstrip().startswith("# ")


def _header_markdown(settings: SiteSettings, lab: str, archive: Path | None) -> str:
    lines = [
        f"- Download the notebook: {{download}}`{lab}.ipynb <files/{lab}.ipynb>`",
    ]
    if archive is not None:
        lines.append(
            f"- Download the notebook with its files: {{download}}`{lab}.zip <files/{lab}.zip>`"
        )

    links = build_launch_links(settings.launch, lab)
    if links:
        rendered = ", ".join(f"[{link.label}]({link.url})" for link in links)
        lines.append(f"- Open it in: {rendered}")
    lines.append("- Set up your machine and find the workflow of every lab in {doc}`../08-labs`.")

    if settings.edition == "instructor":
        title, kind = "Instructor edition: this page shows solutions and hidden tests", "warning"
    else:
        title, kind = "Work on this lab", "tip"
    body = "\n".join(lines)
    return f":::{{admonition}} {title}\n:class: {kind}\n\n{body}\n:::\n"


def _placeholder_notebook(lab: str, source_path: Path) -> NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell(f"# Lab {lab}"),
        nbformat.v4.new_markdown_cell(
            f"This lab is not published yet: its notebook `{source_path.name}` was not found "
            "when this site was built."
        ),
    ]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return notebook


def _write_if_changed(path: Path, content: str | bytes) -> None:
    # Unchanged files keep their modification time, so Sphinx does not re-read them.
    data = content.encode("utf-8") if isinstance(content, str) else content
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a build running at the same time never reads half a file.
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)
