"""Informers and the cached reader: list+watch each resource once, index it, read it from memory.

``Cache`` hands out one shared ``Informer`` per resource; each informer runs a ``Reflector`` (list, then
watch with bookmarks, relist on 410, back off on errors) into an indexed store and notifies its
``EventHandler``s. ``CachedReader`` serves ``get``/``list`` from the cache as private copies, or with
``copy=False`` as the shared cached dicts (read-only); set ``SHOAL_CACHE_DEBUG=1`` (or ``debug=True``)
to detect code that mutates cached objects in place.
"""

from ._cache import Cache as Cache, CacheOptions as CacheOptions
from ._indexer import (
    INDEX_NAMESPACE as INDEX_NAMESPACE,
    INDEX_OWNER_UID as INDEX_OWNER_UID,
    Indexer as Indexer,
    IndexFunc as IndexFunc,
    label_index as label_index,
    namespace_index as namespace_index,
    owner_uid_index as owner_uid_index,
)
from ._informer import (
    BatchEventHandler as BatchEventHandler,
    EventHandler as EventHandler,
    Informer as Informer,
    InformerOptions as InformerOptions,
)
from ._reader import CachedReader as CachedReader, CacheNotRunningError as CacheNotRunningError
from ._reflector import (
    PagedReflectorStore as PagedReflectorStore,
    Reflector as Reflector,
    ReflectorOptions as ReflectorOptions,
    ReflectorStore as ReflectorStore,
)
from ._snapshot import (
    DEBUG_ENV as DEBUG_ENV,
    CacheMutationError as CacheMutationError,
    Snapshot as Snapshot,
    debug_from_env as debug_from_env,
)

__all__ = [
    "DEBUG_ENV",
    "INDEX_NAMESPACE",
    "INDEX_OWNER_UID",
    "BatchEventHandler",
    "Cache",
    "CacheMutationError",
    "CacheNotRunningError",
    "CacheOptions",
    "CachedReader",
    "EventHandler",
    "IndexFunc",
    "Indexer",
    "Informer",
    "InformerOptions",
    "PagedReflectorStore",
    "Reflector",
    "ReflectorOptions",
    "ReflectorStore",
    "Snapshot",
    "debug_from_env",
    "label_index",
    "namespace_index",
    "owner_uid_index",
]
