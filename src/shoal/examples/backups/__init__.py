"""The backups reference controller: Velero's parallel ItemBlock backup on a pool of W workers.

A ``Backup`` (``backup.shoal.dev/v1alpha1``) names namespaces; the controller lists them live, groups the
items into blocks (a Pod with its claims and volumes, pods sharing a claim, a ServiceAccount with its
bindings), backs the blocks up on W workers with a per-item action, writes a tar.gz archive with a
manifest, and reports phase, counts, errors and duration in status. ``shoal bench backups`` measures it.
"""

from ._archive import BackupArchive as BackupArchive, member_name as member_name, read_archive as read_archive
from ._blocks import (
    Item as Item,
    ItemBlock as ItemBlock,
    ItemKey as ItemKey,
    collection_order as collection_order,
    form_blocks as form_blocks,
)
from ._collector import Collection as Collection, collect as collect
from ._inventory import (
    STAND_IN_DEFINITIONS as STAND_IN_DEFINITIONS,
    WIDGETS as WIDGETS,
    Inventory as Inventory,
    install as install,
    many_small_volumes as many_small_volumes,
    seed_inventory as seed_inventory,
)
from ._reconciler import BackupReconciler as BackupReconciler, add_backup_controller as add_backup_controller
from ._resources import (
    BACKUPS as BACKUPS,
    DEFAULT_RESOURCE_TYPES as DEFAULT_RESOURCE_TYPES,
    PHASE_COMPLETED as PHASE_COMPLETED,
    PHASE_FAILED as PHASE_FAILED,
    PHASE_IN_PROGRESS as PHASE_IN_PROGRESS,
    PHASE_PARTIALLY_FAILED as PHASE_PARTIALLY_FAILED,
    TERMINAL_PHASES as TERMINAL_PHASES,
    ResourceType as ResourceType,
    backup as backup,
    backup_crd as backup_crd,
)
from ._run import (
    BackupOptions as BackupOptions,
    BackupReport as BackupReport,
    ItemAction as ItemAction,
    delay_action as delay_action,
    run_backup as run_backup,
)

__all__ = [
    "BACKUPS",
    "DEFAULT_RESOURCE_TYPES",
    "PHASE_COMPLETED",
    "PHASE_FAILED",
    "PHASE_IN_PROGRESS",
    "PHASE_PARTIALLY_FAILED",
    "STAND_IN_DEFINITIONS",
    "TERMINAL_PHASES",
    "WIDGETS",
    "BackupArchive",
    "BackupOptions",
    "BackupReconciler",
    "BackupReport",
    "Collection",
    "Inventory",
    "Item",
    "ItemAction",
    "ItemBlock",
    "ItemKey",
    "ResourceType",
    "add_backup_controller",
    "backup",
    "backup_crd",
    "collect",
    "collection_order",
    "delay_action",
    "form_blocks",
    "install",
    "many_small_volumes",
    "member_name",
    "read_archive",
    "run_backup",
    "seed_inventory",
]
