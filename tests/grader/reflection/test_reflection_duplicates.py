"""cluster_duplicates on results of check_submission for several students."""

from __future__ import annotations

from PIL import Image
from reflection_samples import b64, encode, screenshot, screenshot_cell, text_cell, words

from grader.reflection import ReflectionConfig, check_submission, cluster_duplicates

CONFIG = ReflectionConfig()


def _cells(image_bytes: bytes, text: str) -> list:
    return [
        screenshot_cell(attachments={"shot.png": {"image/png": b64(image_bytes)}}, name="shot"),
        text_cell(text),
    ]


def _edit(text: str, every: int) -> str:
    """Replace every n-th word, as a student does when rewording a copied text."""
    return " ".join("changed" if i % every == 0 else w for i, w in enumerate(text.split()))


def _clusters_by_kind(clusters):
    by_kind: dict[str, list[list[str]]] = {}
    for cluster in clusters:
        by_kind.setdefault(cluster.kind, []).append(cluster.students)
    return by_kind


def test_copies_clustered_and_honest_work_left_out(write_notebook):
    original = screenshot(seed=1)
    shared_text = words(150, seed=1)
    submissions = {
        "alice": _cells(encode(original), shared_text),
        "bob": _cells(encode(original), words(150, seed=2)),
        "carol": _cells(
            encode(original.resize((640, 400)), "JPEG", quality=60), _edit(shared_text, 12)
        ),
        "dave": _cells(encode(screenshot(seed=5)), words(150, seed=3)),
    }
    results = [
        check_submission(write_notebook(cells, student=student), CONFIG)
        for student, cells in submissions.items()
    ]

    by_kind = _clusters_by_kind(cluster_duplicates(results, CONFIG))

    assert by_kind["exact_image"] == [["alice", "bob"]]
    assert by_kind["similar_image"] == [["alice", "bob", "carol"]]
    assert by_kind["similar_text"] == [["alice", "carol"]]


def test_cluster_members_carry_review_details(write_notebook):
    text = words(120, seed=4)
    results = [
        check_submission(write_notebook(_cells(encode(screenshot(2)), text), student=s), CONFIG)
        for s in ("erin", "frank")
    ]

    clusters = cluster_duplicates(results, CONFIG)
    exact = next(cluster for cluster in clusters if cluster.kind == "exact_image")
    similar_text = next(cluster for cluster in clusters if cluster.kind == "similar_text")

    assert exact.lab == "07-reflection"
    assert [member.cell_name for member in exact.members] == ["shot", "shot"]
    assert all(member.image is not None for member in exact.members)
    assert exact.members[0].image.thumbnail_png.startswith(b"\x89PNG")
    assert [member.score for member in similar_text.members] == [1.0, 1.0]
    assert similar_text.members[0].excerpt == " ".join(text.split()[:30])


def test_blank_and_short_items_not_clustered(write_notebook):
    blank = encode(Image.new("RGB", (800, 500), "white"))
    results = [
        check_submission(write_notebook(_cells(blank, "too short to compare"), student=s), CONFIG)
        for s in ("gina", "hugo")
    ]

    assert cluster_duplicates(results, CONFIG) == []


def test_same_student_never_clustered_alone(write_notebook):
    image = encode(screenshot(3))
    cells = [
        screenshot_cell(attachments={"shot.png": {"image/png": b64(image)}}, name="first"),
        screenshot_cell(attachments={"shot.png": {"image/png": b64(image)}}, name="second"),
    ]
    result = check_submission(write_notebook(cells, student="ivan"), CONFIG)

    assert len(result.images) == 2
    assert cluster_duplicates([result], CONFIG) == []


def test_labs_clustered_separately(write_notebook, tmp_path):
    image = encode(screenshot(6))
    first = check_submission(write_notebook(_cells(image, "x"), student="jane"), CONFIG)
    second = check_submission(
        write_notebook(_cells(image, "x"), student="kim"), CONFIG, lab="other-lab"
    )

    assert cluster_duplicates([first, second], CONFIG) == []


def test_distance_threshold_is_respected(write_notebook):
    original = screenshot(seed=7)
    cropped = original.crop((10, 10, 790, 490))
    results = [
        check_submission(write_notebook(_cells(encode(img), "x"), student=s), CONFIG)
        for s, img in (("lena", original), ("mark", cropped))
    ]

    loose = cluster_duplicates(results, ReflectionConfig(duplicate_hash_distance=8))
    strict = cluster_duplicates(results, ReflectionConfig(duplicate_hash_distance=0))

    assert [cluster.kind for cluster in loose] == ["similar_image"]
    assert strict == []
