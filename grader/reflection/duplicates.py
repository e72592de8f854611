"""Cluster copied screenshots and texts across the submissions of one lab.

Matches go to a human: honest screenshots of the same SageMaker page look alike, so
nothing here changes a score.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from grader.reflection.config import ReflectionConfig
from grader.reflection.model import ClusterMember, DuplicateCluster, ImageInfo, ReflectionResult

logger = logging.getLogger(__name__)

_EXCERPT_WORDS = 30


@dataclass(frozen=True)
class _Item:
    student: str
    notebook: Path
    cell_name: str
    image: ImageInfo | None = None
    words: tuple[str, ...] = ()


def cluster_duplicates(
    results: Sequence[ReflectionResult], config: ReflectionConfig | None = None
) -> list[DuplicateCluster]:
    """Return clusters of exact and similar screenshots and of similar texts, per lab.

    A cluster always spans at least two students. Blank images and texts shorter than
    ``config.min_words_for_similarity`` words are left out, because they match trivially.
    """
    config = config or ReflectionConfig()
    by_lab: dict[str, list[ReflectionResult]] = defaultdict(list)
    for result in results:
        by_lab[result.lab].append(result)

    clusters: list[DuplicateCluster] = []
    for lab, lab_results in sorted(by_lab.items()):
        images = _image_items(lab_results, config)
        texts = _text_items(lab_results, config)
        clusters.extend(_exact_image_clusters(lab, images))
        clusters.extend(_similar_image_clusters(lab, images, config))
        clusters.extend(_similar_text_clusters(lab, texts, config))
        logger.info(
            "lab %s: %d images and %d texts from %d submissions, %d duplicate clusters",
            lab,
            len(images),
            len(texts),
            len(lab_results),
            len(clusters),
        )
    return clusters


def _image_items(results: list[ReflectionResult], config: ReflectionConfig) -> list[_Item]:
    return [
        _Item(result.student, result.notebook, cell.name, image=image)
        for result in results
        for cell in result.cells
        for image in cell.images
        if image.grey_stddev >= config.blank_threshold
    ]


def _text_items(results: list[ReflectionResult], config: ReflectionConfig) -> list[_Item]:
    return [
        _Item(result.student, result.notebook, cell.name, words=cell.words)
        for result in results
        for cell in result.cells
        if cell.kind == "text" and len(cell.words) >= config.min_words_for_similarity
    ]


def _exact_image_clusters(lab: str, items: list[_Item]) -> list[DuplicateCluster]:
    groups: dict[str, list[_Item]] = defaultdict(list)
    for item in items:
        groups[_image(item).sha256].append(item)
    return [
        DuplicateCluster("exact_image", lab, tuple(_member(item, 0.0) for item in group))
        for group in groups.values()
        if len({item.student for item in group}) > 1
    ]


def _similar_image_clusters(
    lab: str, items: list[_Item], config: ReflectionConfig
) -> list[DuplicateCluster]:
    images = [_image(item) for item in items]
    hashes = [(int(image.phash, 16), int(image.dhash, 16)) for image in images]

    def distance(first: int, second: int) -> float | None:
        phash = (hashes[first][0] ^ hashes[second][0]).bit_count()
        dhash = (hashes[first][1] ^ hashes[second][1]).bit_count()
        worst = max(phash, dhash)
        return float(worst) if worst <= config.duplicate_hash_distance else None

    clusters = []
    for component, scores in _components(items, distance, best=min):
        digests = {images[index].sha256 for index in component}
        if len(digests) > 1:
            members = tuple(_member(items[index], scores[index]) for index in component)
            clusters.append(DuplicateCluster("similar_image", lab, members))
    return clusters


def _similar_text_clusters(
    lab: str, items: list[_Item], config: ReflectionConfig
) -> list[DuplicateCluster]:
    shingles = [_shingles(item.words, config.shingle_words) for item in items]

    def similarity(first: int, second: int) -> float | None:
        a, b = shingles[first], shingles[second]
        if (
            not a
            or not b
            or min(len(a), len(b)) / max(len(a), len(b)) < (config.text_similarity_threshold)
        ):
            return None
        jaccard = len(a & b) / len(a | b)
        return jaccard if jaccard >= config.text_similarity_threshold else None

    return [
        DuplicateCluster(
            "similar_text", lab, tuple(_member(items[index], scores[index]) for index in component)
        )
        for component, scores in _components(items, similarity, best=max)
    ]


def _components(
    items: list[_Item],
    match: Callable[[int, int], float | None],
    best: Callable[[float, float], float],
) -> list[tuple[list[int], dict[int, float]]]:
    """Union-find over every pair of items of different students that ``match`` accepts.

    Returns each component that spans two or more students, with each member's best
    pair score.
    """
    parent = list(range(len(items)))
    scores: dict[int, float] = {}

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for first, second in combinations(range(len(items)), 2):
        if items[first].student == items[second].student:
            continue
        score = match(first, second)
        if score is None:
            continue
        parent[root(first)] = root(second)
        for index in (first, second):
            scores[index] = best(scores[index], score) if index in scores else score

    groups: dict[int, list[int]] = defaultdict(list)
    for index in scores:
        groups[root(index)].append(index)
    return [
        (sorted(group), scores)
        for group in groups.values()
        if len({items[index].student for index in group}) > 1
    ]


def _image(item: _Item) -> ImageInfo:
    if item.image is None:
        raise ValueError(f"{item.student}/{item.cell_name}: image item without an image")
    return item.image


def _shingles(words: tuple[str, ...], size: int) -> set[tuple[str, ...]]:
    if len(words) < size:
        return {words} if words else set()
    return {words[start : start + size] for start in range(len(words) - size + 1)}


def _member(item: _Item, score: float) -> ClusterMember:
    return ClusterMember(
        student=item.student,
        notebook=item.notebook,
        cell_name=item.cell_name,
        score=score,
        image=item.image,
        excerpt=" ".join(item.words[:_EXCERPT_WORDS]),
    )
