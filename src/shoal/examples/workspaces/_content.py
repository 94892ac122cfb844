"""Signed download URLs for a workspace's remote content (backup, snapshot, prebuild), fetched together.

Before a workspace's content is restored, the daemon asks the storage service to sign a download URL
for each source it may need. Each signature costs storage round trips (the object's attributes must be
read first), and the sources are independent, so asking one after the other pays the sum where the
maximum would do. :class:`SimulatedStorage` stands in for the storage service: a fixed round-trip time
per request, a real HMAC signature, and a count of requests.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from urllib.parse import quote

from shoal.api import NotFoundError
from shoal.fanout import gather

CONTENT_SOURCES = ("backup", "snapshot", "prebuild")
"""What a workspace may restore from, in the order the seed asked for them."""


@dataclass(slots=True)
class SimulatedStorage:
    """An object store that signs download URLs after ``round_trips`` round trips of ``round_trip`` s.

    Attributes:
        objects: the object names that exist (``"<workspace>/<source>"``).
        requests: round trips served so far.
    """

    round_trip: float
    round_trips: int = 1
    key: bytes = b"simulated-storage-key"
    objects: set[str] = field(default_factory=set)
    requests: int = 0

    async def sign_download(self, name: str, *, expires_in: int = 3600) -> str:
        """A signed URL for ``name``; NotFoundError when it does not exist (found after the round trips)."""
        for _ in range(self.round_trips):
            self.requests += 1
            await asyncio.sleep(self.round_trip)
        if name not in self.objects:
            raise NotFoundError(f'object "{name}" not found', name=name)
        expires = int(time.time()) + expires_in
        signature = hmac.new(self.key, f"GET\n{name}\n{expires}".encode(), hashlib.sha256).hexdigest()
        return f"https://storage.example/{quote(name)}?expires={expires}&signature={signature}"


async def collect_remote_content(
    storage: SimulatedStorage,
    workspace_id: str,
    *,
    sources: tuple[str, ...] = CONTENT_SOURCES,
    concurrent: bool = True,
) -> dict[str, str]:
    """Signed URLs of the ``sources`` that exist for the workspace, by source; missing ones are left out.

    ``concurrent=False`` asks one after the other, as the seed did before its fix.
    """

    async def sign(source: str) -> tuple[str, str | None]:
        try:
            return source, await storage.sign_download(f"{workspace_id}/{source}")
        except NotFoundError:
            return source, None

    if concurrent:
        signed = await gather(*(sign(s) for s in sources))
    else:
        signed = tuple([await sign(s) for s in sources])
    return {source: url for source, url in signed if url is not None}
