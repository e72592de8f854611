"""Build the launch links of a lab page from the ``sagelab.launch`` settings.

The links open the released student notebook of a lab, stored in a public
GitHub repository, in one of four environments. The URL formats follow each
service's documented import links: nbgitpuller's ``git-pull`` endpoint on a
JupyterHub, BinderHub's ``/v2/gh/`` route, Colab's ``/github/`` route and
SageMaker Studio Lab's ``/import/github/`` route.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from .settings import LaunchSettings

COLAB_URL = "https://colab.research.google.com"
STUDIOLAB_URL = "https://studiolab.sagemaker.aws"


@dataclass(frozen=True)
class LaunchLink:
    """One launch target of a lab page."""

    label: str
    url: str


def notebook_path(launch: LaunchSettings, lab: str) -> str:
    """Return the path of a lab's student notebook inside the launch repository."""
    return launch.path.format(lab=lab)


def build_launch_links(launch: LaunchSettings, lab: str) -> list[LaunchLink]:
    """Return the configured launch links for one lab, in a fixed order."""
    if not launch.repository:
        return []

    owner, name = launch.github_owner_and_name
    path = notebook_path(launch, lab)
    links = []
    if launch.jupyterhub_url:
        links.append(LaunchLink("JupyterHub", _jupyterhub_url(launch, name, path)))
    if launch.binderhub_url:
        links.append(LaunchLink("Binder", _binder_url(launch, owner, name, path)))
    if launch.colab:
        colab_url = f"{COLAB_URL}/github/{owner}/{name}/blob/{_blob(launch, path)}"
        links.append(LaunchLink("Colab", colab_url))
    if launch.studiolab:
        links.append(
            LaunchLink(
                "SageMaker Studio Lab",
                f"{STUDIOLAB_URL}/import/github/{owner}/{name}/blob/{_blob(launch, path)}",
            )
        )
    return links


def _jupyterhub_url(launch: LaunchSettings, repository_name: str, path: str) -> str:
    # nbgitpuller clones into a folder named after the repository, in the user's home.
    tree = "lab/tree" if launch.jupyterhub_interface == "lab" else "tree"
    query = urlencode(
        {
            "repo": launch.repository,
            "branch": launch.branch,
            "urlpath": f"{tree}/{repository_name}/{path}",
        },
        quote_via=quote,
    )
    return f"{launch.jupyterhub_url.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def _binder_url(launch: LaunchSettings, owner: str, name: str, path: str) -> str:
    # Binder starts in the repository root, so the notebook path needs no folder prefix.
    tree = "lab/tree" if launch.jupyterhub_interface == "lab" else "tree"
    base = launch.binderhub_url.rstrip("/")
    branch = quote(launch.branch, safe="")
    query = urlencode({"urlpath": f"{tree}/{path}"}, quote_via=quote)
    return f"{base}/v2/gh/{owner}/{name}/{branch}?{query}"


def _blob(launch: LaunchSettings, path: str) -> str:
    return f"{quote(launch.branch, safe='')}/{quote(path)}"
