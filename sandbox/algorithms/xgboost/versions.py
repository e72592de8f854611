"""Image versions of the built-in XGBoost algorithm that the sandbox can run."""

from __future__ import annotations

from sandbox.algorithms.xgboost.errors import UnsupportedImageError

# Images 1.3-1 and later store the model with Booster.save_model, which the
# installed XGBoost reads. Older images pickle a Booster of XGBoost 0.90/1.0/1.2.
SUPPORTED_VERSIONS: frozenset[str] = frozenset({"1.3-1", "1.5-1", "1.7-1", "3.0-5", "3.2-0"})
PICKLE_VERSIONS: frozenset[str] = frozenset({"0.90-1", "0.90-2", "1.0-1", "1.2-1", "1.2-2"})


def check_version(version: str) -> None:
    """Raise UnsupportedImageError unless the sandbox can run image ``version``."""
    if version in SUPPORTED_VERSIONS:
        return

    supported = ", ".join(sorted(SUPPORTED_VERSIONS, key=version_key))
    if version in PICKLE_VERSIONS:
        raise UnsupportedImageError(
            f"The sandbox cannot run sagemaker-xgboost:{version}: images older than 1.3-1 "
            f"store pickled models of an old XGBoost. Use one of: {supported}."
        )
    raise UnsupportedImageError(
        f"Unknown sagemaker-xgboost image version {version!r}. Use one of: {supported}."
    )


def version_key(version: str) -> tuple[int, ...]:
    """Return a sortable key for an image tag such as ``1.7-1`` or ``0.90-2``."""
    parts = version.replace("-", ".").split(".")
    return tuple(int(part) if part.isdigit() else 0 for part in parts)


def is_xgboost_3(version: str) -> bool:
    """Return True for images built on XGBoost 3.x (3.0-5 and later)."""
    return version_key(version) >= (3,)
