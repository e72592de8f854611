"""URL routing of sagemaker-runtime requests to the sandbox's handlers."""

from .runtime import SandboxRuntimeResponse

url_bases = [
    r"https?://runtime\.sagemaker\.(.+)\.amazonaws\.com",
]

url_paths = {
    "{0}/endpoints/(?P<name>[^/]+)/async-invocations$": SandboxRuntimeResponse.dispatch,
    "{0}/endpoints/(?P<name>[^/]+)/invocations$": SandboxRuntimeResponse.dispatch,
}
