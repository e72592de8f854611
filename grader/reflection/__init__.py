"""Screenshot-reflection checks: image and text rubric lines, and duplicate clustering.

The metadata contract for lab authors is in ``README.md`` next to this file.
"""

from grader.reflection.check import check_submission
from grader.reflection.config import ReflectionConfig, option_help
from grader.reflection.duplicates import cluster_duplicates
from grader.reflection.model import (
    CellResult,
    ClusterMember,
    DuplicateCluster,
    Flag,
    FlagCode,
    ImageInfo,
    ReflectionResult,
    RubricLine,
    RubricScore,
)

__all__ = [
    "CellResult",
    "ClusterMember",
    "DuplicateCluster",
    "Flag",
    "FlagCode",
    "ImageInfo",
    "ReflectionConfig",
    "ReflectionResult",
    "RubricLine",
    "RubricScore",
    "check_submission",
    "cluster_duplicates",
    "option_help",
]
