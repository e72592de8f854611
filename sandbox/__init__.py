"""sandbox: a local Amazon SageMaker for the sagelab course.

    import sandbox
    session = sandbox.connect()
    sagemaker = session.client("sagemaker")

Training jobs train the built-in XGBoost for real, endpoints serve its predictions, and
no request leaves the machine. `SAGELAB_BACKEND=aws` runs the same code on a real account.
"""

from .guard import SandboxNetworkError
from .session import LocalSession, SandboxError, Session, connect

__all__ = ["LocalSession", "SandboxError", "SandboxNetworkError", "Session", "connect"]
