"""URL routing of sagemaker API requests to the sandbox's handlers."""

from .responses import SandboxSageMakerResponse

url_bases = [
    r"https?://api\.sagemaker\.(.+)\.amazonaws.com",
]

url_paths = {
    "{0}/$": SandboxSageMakerResponse.dispatch,
}
