"""Read and validate the ``sagelab:`` block of the book's ``_config.yml``.

Jupyter Book 1.x passes only its own keys to Sphinx, so this extension reads
its block from the YAML file itself. Every value is checked here, and bad input
raises :class:`SettingsError` with the key, the value and the fix.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EDITION_VARIABLE = "SAGELAB_EDITION"
EDITIONS = ("student", "instructor")
MISSING_LAB_POLICIES = ("error", "placeholder")
LAB_ID_PATTERN = re.compile(r"^[0-9]{2}-[a-z0-9][a-z0-9-]*$")
GITHUB_REPOSITORY_PATTERN = re.compile(
    r"^https://github\.com/(?P<owner>[A-Za-z0-9_.-]+)/(?P<name>[A-Za-z0-9_.-]+?)(?:\.git)?/?$"
)


class SettingsError(ValueError):
    """An invalid value in the ``sagelab:`` block or in ``SAGELAB_EDITION``."""


@dataclass(frozen=True)
class LaunchSettings:
    """Where the launch links of the lab pages point."""

    repository: str = ""
    branch: str = "main"
    path: str = "{lab}/{lab}.ipynb"
    jupyterhub_url: str = ""
    jupyterhub_interface: str = "lab"
    binderhub_url: str = ""
    colab: bool = False
    studiolab: bool = False

    @property
    def github_owner_and_name(self) -> tuple[str, str]:
        return split_github_repository(self.repository)


@dataclass(frozen=True)
class SiteSettings:
    """The ``sagelab:`` block, resolved against the book root."""

    book_root: Path
    labs: tuple[str, ...]
    labs_source: Path
    labs_output: Path
    missing_labs: str = "error"
    edition: str = "student"
    launch: LaunchSettings = field(default_factory=LaunchSettings)


def read_edition(environ: dict[str, str] | None = None) -> str:
    """Return the edition named by ``SAGELAB_EDITION`` (``student`` when unset)."""
    environ = dict(os.environ) if environ is None else environ
    edition = environ.get(EDITION_VARIABLE, "").strip() or "student"
    if edition not in EDITIONS:
        raise SettingsError(
            f"{EDITION_VARIABLE}={edition!r} is not an edition; use one of {', '.join(EDITIONS)}"
        )
    return edition


def load_settings(book_root: Path, environ: dict[str, str] | None = None) -> SiteSettings:
    """Read ``<book_root>/_config.yml`` and return its validated ``sagelab:`` block."""
    config_path = book_root / "_config.yml"
    document = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    block = document.get("sagelab")
    if not isinstance(block, dict):
        raise SettingsError(f"{config_path}: the 'sagelab:' block is missing or not a mapping")
    return parse_settings(block, book_root, read_edition(environ))


def parse_settings(block: dict[str, Any], book_root: Path, edition: str) -> SiteSettings:
    """Validate a ``sagelab:`` mapping and resolve its folders against ``book_root``."""
    _reject_unknown_keys(
        "sagelab", block, {"labs", "labs_source", "labs_output", "missing_labs", "launch"}
    )
    labs = _parse_labs(block.get("labs"))
    missing_labs = block.get("missing_labs", "error")
    if missing_labs not in MISSING_LAB_POLICIES:
        raise SettingsError(
            f"sagelab.missing_labs: {missing_labs!r} is not valid; "
            f"use one of {', '.join(MISSING_LAB_POLICIES)}"
        )

    labs_output = _relative_folder("labs_output", block.get("labs_output", "book/labs"))
    if labs_output.parts[0] in ("labs", "_build"):
        raise SettingsError(
            f"sagelab.labs_output: {labs_output} would mix generated pages with "
            "'labs/' or '_build/'; use a folder under book/, such as book/labs"
        )

    return SiteSettings(
        book_root=book_root,
        labs=labs,
        labs_source=book_root / _relative_folder("labs_source", block.get("labs_source", "labs")),
        labs_output=book_root / labs_output,
        missing_labs=missing_labs,
        edition=edition,
        launch=_parse_launch(block.get("launch") or {}),
    )


def _parse_labs(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise SettingsError(
            f"sagelab.labs: {value!r} is not a list of lab ids; list them like [01-eda, 02-prepare]"
        )
    for lab in value:
        if not isinstance(lab, str) or not LAB_ID_PATTERN.match(lab):
            raise SettingsError(
                f"sagelab.labs: {lab!r} is not a lab id; use two digits, a hyphen and "
                "lower-case words, such as 01-eda"
            )
    if len(set(value)) != len(value):
        raise SettingsError(f"sagelab.labs: {value!r} lists a lab more than once")
    return tuple(value)


def _relative_folder(key: str, value: Any) -> Path:
    path = Path(str(value))
    if not str(value) or path.is_absolute() or ".." in path.parts:
        raise SettingsError(
            f"sagelab.{key}: {value!r} must be a folder relative to the book root, without '..'"
        )
    return path


def _parse_launch(block: Any) -> LaunchSettings:
    if not isinstance(block, dict):
        raise SettingsError(f"sagelab.launch: {block!r} is not a mapping")
    known = set(LaunchSettings.__dataclass_fields__)
    _reject_unknown_keys("sagelab.launch", block, known)

    for key in ("colab", "studiolab"):
        if key in block and not isinstance(block[key], bool):
            raise SettingsError(f"sagelab.launch.{key}: {block[key]!r} must be true or false")
    for key in ("jupyterhub_url", "binderhub_url"):
        url = block.get(key, "")
        if url and not re.match(r"^https?://[^/\s]+", str(url)):
            raise SettingsError(
                f"sagelab.launch.{key}: {url!r} is not an http(s) URL such as https://hub.example.edu"
            )
    if block.get("jupyterhub_interface", "lab") not in ("lab", "notebook"):
        raise SettingsError(
            f"sagelab.launch.jupyterhub_interface: {block['jupyterhub_interface']!r} "
            "must be 'lab' or 'notebook'"
        )
    if "{lab}" not in str(block.get("path", "{lab}")):
        raise SettingsError(
            f"sagelab.launch.path: {block['path']!r} must contain '{{lab}}', "
            "such as '{lab}/{lab}.ipynb'"
        )

    launch = LaunchSettings(**{key: block[key] for key in block})
    needs_repository = launch.jupyterhub_url or launch.binderhub_url or launch.colab
    if (needs_repository or launch.studiolab) and not launch.repository:
        raise SettingsError(
            "sagelab.launch.repository is empty, but launch targets are enabled; set it to the "
            "GitHub repository that holds the released student notebooks"
        )
    if launch.repository:
        split_github_repository(launch.repository)
    return launch


def split_github_repository(url: str) -> tuple[str, str]:
    """Return the owner and name of a ``https://github.com/<owner>/<name>`` URL."""
    match = GITHUB_REPOSITORY_PATTERN.match(url)
    if match is None:
        raise SettingsError(
            f"sagelab.launch.repository: {url!r} is not a GitHub repository URL; "
            "use https://github.com/<owner>/<name>"
        )
    return match.group("owner"), match.group("name")


def _reject_unknown_keys(prefix: str, block: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(block) - known)
    if unknown:
        raise SettingsError(
            f"{prefix}: unknown key(s) {', '.join(unknown)}; "
            f"known keys are {', '.join(sorted(known))}"
        )
