"""Exceptions of the XGBoost algorithm work layer.

``UserError`` and ``AlgorithmError`` follow the SageMaker algorithm toolkit: the
message may end with `` (caused by <ExceptionClass>)`` when another exception
caused it, because that suffix is part of the FailureReason users see.
"""

from __future__ import annotations


class ToolkitError(Exception):
    """Base of the errors that end a training job with a failure file."""

    def __init__(self, message: str, caused_by: BaseException | None = None) -> None:
        if caused_by is not None:
            message = f"{message} (caused by {type(caused_by).__name__})"
        super().__init__(message)
        self.message = message
        self.caused_by = caused_by


class UserError(ToolkitError):
    """Invalid hyperparameters, channels or data: the user can fix it."""


class AlgorithmError(ToolkitError):
    """XGBoost itself failed in a way the toolkit does not attribute to the user."""


class UnsupportedImageError(Exception):
    """The requested image version cannot run in the sandbox."""


class ModelLoadError(Exception):
    """A model archive is missing, corrupt or in a format the sandbox cannot load."""
