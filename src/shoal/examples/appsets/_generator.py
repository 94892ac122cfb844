"""The git directories generator: an ApplicationSet's spec and a repository listing in, parameters out.

Argo CD's git generator asks the repo server for every directory of a repository at a revision, keeps
those matching the ``directories`` path globs (minus the ``exclude: true`` ones), and turns each into
one parameter set (``path``, ``path.basename``, ``path.basenameNormalized``, ``path[n]``). Parsing the
spec is separate from fetching so bad specs are rejected, naming the field, before any git call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from shoal.api import StatusCause, invalid, invalid_cause, required_cause

from ._crd import APPLICATION_SET_KIND, GROUP

DEFAULT_REQUEUE_AFTER = 180.0
"""Seconds between reconciles of a git-generated ApplicationSet (Argo CD's default: 3 minutes)."""


@dataclass(frozen=True, slots=True)
class GitDirectoriesGenerator:
    """One ``generators[i].git`` entry of an ApplicationSet."""

    repo_url: str
    revision: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    requeue_after: float | None

    def matches(self, path: str) -> bool:
        """Whether ``path`` is selected: it matches an include glob and no exclude glob."""
        return any(_glob(p, path) for p in self.include) and not any(_glob(p, path) for p in self.exclude)

    def parameters(self, directories: list[str]) -> list[dict[str, str]]:
        """One parameter set per selected directory, in path order."""
        return [directory_parameters(path) for path in sorted(directories) if self.matches(path)]


def _glob(pattern: str, path: str) -> bool:
    """Go's ``path.Match``: ``*`` and ``?`` never cross a ``/``, so the pattern and path have as many
    segments, each matching."""
    pattern_parts, path_parts = pattern.strip("/").split("/"), path.strip("/").split("/")
    return len(pattern_parts) == len(path_parts) and all(
        fnmatchcase(segment, glob) for glob, segment in zip(pattern_parts, path_parts, strict=True)
    )


_NOT_DNS = re.compile(r"[^a-z0-9.-]+")


def directory_parameters(path: str) -> dict[str, str]:
    """The parameters of one directory: ``path``, ``path.basename``, ``path.basenameNormalized``
    (lower case, runs of other characters as ``-``) and ``path[n]`` per segment."""
    segments = path.strip("/").split("/")
    params = {
        "path": path,
        "path.basename": segments[-1],
        "path.basenameNormalized": _NOT_DNS.sub("-", segments[-1].lower()).strip("-"),
    }
    params.update({f"path[{i}]": segment for i, segment in enumerate(segments)})
    return params


def parse_generators(appset: dict[str, Any]) -> list[GitDirectoriesGenerator]:
    """The git directories generators of ``appset``.

    Raises:
        InvalidError: ``spec.generators`` is missing or empty, or an entry is not a well-formed git
            directories generator; every bad field is named.
    """
    spec = appset.get("spec") or {}
    name = str((appset.get("metadata") or {}).get("name", ""))
    causes: list[StatusCause] = []
    entries = spec.get("generators")
    if not isinstance(entries, list) or not entries:
        causes.append(required_cause("spec.generators", "at least one generator is required"))
        entries = []
    if not isinstance(spec.get("template"), dict):
        causes.append(required_cause("spec.template"))
    generators = []
    for i, entry in enumerate(entries):
        field = f"spec.generators[{i}]"
        git = entry.get("git") if isinstance(entry, dict) else None
        if not isinstance(git, dict):
            causes.append(invalid_cause(field, entry, "only git directories generators are supported"))
            continue
        generator = _parse_git(git, f"{field}.git", causes)
        if generator is not None:
            generators.append(generator)
    if causes:
        raise invalid(APPLICATION_SET_KIND, name, *causes, group=GROUP)
    return generators


def _parse_git(git: dict[str, Any], field: str, causes: list[StatusCause]) -> GitDirectoriesGenerator | None:
    before = len(causes)
    repo_url = git.get("repoURL")
    if not isinstance(repo_url, str) or not repo_url:
        causes.append(required_cause(f"{field}.repoURL"))
    revision = git.get("revision", "HEAD")
    if not isinstance(revision, str) or not revision:
        causes.append(invalid_cause(f"{field}.revision", revision, "must be a non-empty string"))
    include: list[str] = []
    exclude: list[str] = []
    directories = git.get("directories")
    if not isinstance(directories, list) or not directories:
        causes.append(required_cause(f"{field}.directories", "at least one directory path is required"))
        directories = []
    for j, directory in enumerate(directories):
        path = directory.get("path") if isinstance(directory, dict) else None
        if not isinstance(path, str) or not path.strip("/"):
            causes.append(required_cause(f"{field}.directories[{j}].path"))
            continue
        (exclude if directory.get("exclude") is True else include).append(path)
    if directories and not include:
        causes.append(invalid_cause(f"{field}.directories", directories, "every path is an exclude"))
    requeue = git.get("requeueAfterSeconds")
    if requeue is not None and (
        isinstance(requeue, bool) or not isinstance(requeue, int | float) or requeue < 0
    ):
        causes.append(invalid_cause(f"{field}.requeueAfterSeconds", requeue, "must be a number >= 0"))
    if len(causes) > before:
        return None
    return GitDirectoriesGenerator(
        str(repo_url),
        str(revision),
        tuple(include),
        tuple(exclude),
        None if requeue is None else float(requeue),
    )
