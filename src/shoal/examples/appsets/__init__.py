"""The Argo CD ApplicationSet reference controller: git directories → parameters → Applications.

* :class:`RepoServer` — a simulated repo server: directory listings after ``latency`` (1% of it when
  it has served the same repository and revision before), with a call counter.
* :func:`parse_generators`, :class:`GitDirectoriesGenerator` — the git directories generator; bad specs
  are rejected as InvalidError naming the field.
* :func:`render_application` — ``{{path}}``-style templating into an Application the ApplicationSet
  controls.
* :class:`AppSetReconciler` — git listings through a single-flight :class:`~shoal.fanout.KeyedCache`,
  Applications created, patched and deleted concurrently and only when they differ, requeue after the
  generators' period at low priority, an early stop when nothing it reads has changed since its last
  pass; :func:`add_appset_controller` wires it with W workers.
* :func:`install_appset_crds`, :func:`application_set_object` — the CRDs and an object builder.

``shoal bench appsets`` measures how long a new ApplicationSet waits behind 808 others.
"""

from ._controller import CONTROLLER_NAME as CONTROLLER_NAME, add_appset_controller as add_appset_controller
from ._crd import (
    APPLICATION_KIND as APPLICATION_KIND,
    APPLICATION_SET_KIND as APPLICATION_SET_KIND,
    APPLICATION_SETS as APPLICATION_SETS,
    APPLICATIONS as APPLICATIONS,
    application_crd as application_crd,
    application_set_crd as application_set_crd,
    application_set_object as application_set_object,
    install_appset_crds as install_appset_crds,
)
from ._generator import (
    DEFAULT_REQUEUE_AFTER as DEFAULT_REQUEUE_AFTER,
    GitDirectoriesGenerator as GitDirectoriesGenerator,
    directory_parameters as directory_parameters,
    parse_generators as parse_generators,
)
from ._reconciler import (
    AppSetReconciler as AppSetReconciler,
    GitCache as GitCache,
    ReconcileLog as ReconcileLog,
)
from ._repo_server import RepoServer as RepoServer, RepoServerStatistics as RepoServerStatistics
from ._template import render_application as render_application

__all__ = [
    "APPLICATIONS",
    "APPLICATION_KIND",
    "APPLICATION_SETS",
    "APPLICATION_SET_KIND",
    "CONTROLLER_NAME",
    "DEFAULT_REQUEUE_AFTER",
    "AppSetReconciler",
    "GitCache",
    "GitDirectoriesGenerator",
    "ReconcileLog",
    "RepoServer",
    "RepoServerStatistics",
    "add_appset_controller",
    "application_crd",
    "application_set_crd",
    "application_set_object",
    "directory_parameters",
    "install_appset_crds",
    "parse_generators",
    "render_application",
]
