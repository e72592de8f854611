"""One exception class per SageMaker error code.

The `code` of each class equals the error shape name in botocore's service model, so
boto3 raises a `ClientError` whose `Error.Code` is what real SageMaker sends. Messages
follow the service's own wording and always name the resource or value involved.
"""

from __future__ import annotations

from moto.core.exceptions import ServiceException


class SageMakerError(ServiceException):
    """Base class for errors of the `sagemaker` API."""


class ValidationException(SageMakerError):
    code = "ValidationException"


class ResourceInUse(SageMakerError):
    code = "ResourceInUse"


class ResourceNotFound(SageMakerError):
    code = "ResourceNotFound"


class ResourceLimitExceeded(SageMakerError):
    code = "ResourceLimitExceeded"


class SageMakerRuntimeError(ServiceException):
    """Base class for errors of the `sagemaker-runtime` API."""


class RuntimeValidationError(SageMakerRuntimeError):
    code = "ValidationError"


class ModelError(SageMakerRuntimeError):
    """The model container answered with an error status (HTTP 424 on the wire).

    The attribute names match the members of the runtime's `ModelError` shape, which
    moto's serializer reads when it writes the error body.
    """

    code = "ModelError"

    def __init__(
        self,
        message: str,
        *,
        original_status_code: int,
        original_message: str,
        log_stream_arn: str,
    ) -> None:
        super().__init__(message)
        self.OriginalStatusCode = original_status_code
        self.OriginalMessage = original_message
        self.LogStreamArn = log_stream_arn


class ModelNotReadyException(SageMakerRuntimeError):
    code = "ModelNotReadyException"
