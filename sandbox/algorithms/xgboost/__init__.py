"""The built-in SageMaker XGBoost algorithm (algorithm mode), without Docker.

Training reads an ``/opt/ml``-shaped folder and serving returns predictions
from a ``model.tar.gz``, reproducing the container's messages and formats for
image versions 1.3-1 and later.
"""

from sandbox.algorithms.xgboost.errors import ModelLoadError, UnsupportedImageError
from sandbox.algorithms.xgboost.metrics import metric_direction, platform_metric_definitions
from sandbox.algorithms.xgboost.serving import InferenceResponse, XGBoostModelServer
from sandbox.algorithms.xgboost.training import TrainingOutcome, train
from sandbox.algorithms.xgboost.versions import SUPPORTED_VERSIONS, check_version

__all__ = [
    "SUPPORTED_VERSIONS",
    "InferenceResponse",
    "ModelLoadError",
    "TrainingOutcome",
    "UnsupportedImageError",
    "XGBoostModelServer",
    "check_version",
    "metric_direction",
    "platform_metric_definitions",
    "train",
]
