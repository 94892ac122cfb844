"""A simulated Argo CD repo server: directory listings of git repositories, at a configurable price.

The seed's controller spent its time in git: every reconcile of every ApplicationSet fetched its
repository (about 2.2 s), so one worker took half an hour to get round 808 of them. Benchmarks and tests
need that cost without a network: :class:`RepoServer` answers ``directories(repo, revision)`` after
``latency`` seconds, or after ``cached_fraction`` of it when it has served the same (repo, revision)
since the repository last changed (the real repo server's own cache). It counts every call, so a test
can assert how many reached it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from shoal.api import NotFoundError


@dataclass(slots=True)
class RepoServerStatistics:
    """Calls the repo server answered: all of them, and those that paid the full (uncached) latency."""

    calls: int = 0
    uncached_calls: int = 0


class RepoServer:
    """Git repositories in memory, each a set of directory paths per revision, behind a slow call.

    Args:
        latency: seconds an uncached ``directories`` call takes.
        cache: whether the server keeps answers per (repo, revision); a hit costs ``cached_fraction``
            of ``latency``.
        cached_fraction: the price of a server-side cache hit, relative to ``latency``. Defaults to 1%.
    """

    def __init__(self, *, latency: float, cache: bool = True, cached_fraction: float = 0.01) -> None:
        if latency < 0 or not 0 <= cached_fraction <= 1:
            raise ValueError("latency must be >= 0 and cached_fraction within [0, 1]")
        self.latency = latency
        self.cache = cache
        self.cached_fraction = cached_fraction
        self.statistics = RepoServerStatistics()
        self._repos: dict[str, set[str]] = {}
        self._served: set[tuple[str, str]] = set()

    def add_directory(self, repo_url: str, path: str) -> None:
        """Commit a directory (and its parents) to ``repo_url`` (created if new); the server's cached
        answers for the repository go."""
        parts = path.strip("/").split("/")
        self._repos.setdefault(repo_url, set()).update("/".join(parts[: i + 1]) for i in range(len(parts)))
        self._changed(repo_url)

    def remove_directory(self, repo_url: str, path: str) -> None:
        """Commit the removal of a directory (and everything under it)."""
        prefix = path.strip("/")
        paths = self._repos.get(repo_url, set())
        self._repos[repo_url] = {p for p in paths if p != prefix and not p.startswith(prefix + "/")}
        self._changed(repo_url)

    def _changed(self, repo_url: str) -> None:
        self._served = {key for key in self._served if key[0] != repo_url}

    async def directories(self, repo_url: str, revision: str) -> list[str]:
        """Every directory path of ``repo_url`` at ``revision``, sorted (``GetGitDirectories``).

        Raises:
            NotFoundError: the server has no repository ``repo_url``.
        """
        key = (repo_url, revision)
        hit = self.cache and key in self._served
        self.statistics.calls += 1
        if not hit:
            self.statistics.uncached_calls += 1
        delay = self.latency * self.cached_fraction if hit else self.latency
        if delay > 0:
            await asyncio.sleep(delay)
        paths = self._repos.get(repo_url)
        if paths is None:
            raise NotFoundError(f'repository "{repo_url}" not found', name=repo_url)
        if self.cache:
            self._served.add(key)
        return sorted(paths)
