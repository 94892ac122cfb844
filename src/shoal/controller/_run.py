"""``shoal run module:Reconciler --for group/version/kind``: a user's reconciler against a cluster.

The shortest way from a reconciler class to a running controller: no main function to write. The
command loads the reconciler (a class, instantiated without arguments, or an instance), connects with a
kubeconfig (``--kubeconfig``, then ``$KUBECONFIG``, then ``~/.kube/config``) or the pod's service
account, resolves kinds to resources through discovery, and runs a :class:`Manager` with one controller
until SIGINT/SIGTERM, which stop it gracefully.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import signal
import sys
from dataclasses import dataclass, fields, replace
from typing import Any

from shoal.api import GroupVersionKind, GroupVersionResource, ShoalError
from shoal.cache import CacheOptions
from shoal.client import HttpClient, resource_for

from ._builder import Builder
from ._controller import Controller, ControllerOptions
from ._leader import LeaderElectionOptions
from ._manager import Manager, ManagerOptions
from ._reconcile import Reconciler

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    """What ``shoal run`` was asked to do: one field per flag of the ``run`` subcommand, same names."""

    target: str
    for_: str
    owns: tuple[str, ...] = ()
    name: str = ""
    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    max_concurrent_reconciles: int = 16
    http_port: int = 8080
    leader_election_id: str = ""
    leader_election_namespace: str | None = None


def load_reconciler(target: str) -> Reconciler:
    """Import ``module:attribute``; a class is instantiated without arguments."""
    module_name, sep, attribute = target.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"expected 'module:Reconciler', got {target!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    value: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        value = getattr(value, part)
    reconciler = value() if isinstance(value, type) else value
    if not callable(getattr(reconciler, "reconcile", None)):
        raise ValueError(f"{target} has no reconcile(ctx, request) method")
    found: Reconciler = reconciler
    return found


async def resolve(client: HttpClient, text: str) -> GroupVersionResource:
    """``group/version/Kind`` (looked up in discovery) or ``group/version/resource`` (taken as is)."""
    parts = text.strip("/").split("/")
    if len(parts) not in (2, 3):
        raise ValueError(f"expected 'group/version/kind' or 'version/kind', got {text!r}")
    if parts[-1][:1].isupper():
        group, version, kind = parts if len(parts) == 3 else ["", *parts]
        return await resource_for(client, GroupVersionKind(group, version, kind))
    return GroupVersionResource.parse(text)


def _client(options: RunOptions) -> HttpClient:
    default = os.path.expanduser("~/.kube/config")
    if options.kubeconfig or os.environ.get("KUBECONFIG") or os.path.exists(default):
        return HttpClient.from_kubeconfig(options.kubeconfig, options.context)
    return HttpClient.in_cluster()


async def run_reconciler(options: RunOptions) -> None:
    """Run the reconciler until SIGINT/SIGTERM (or cancellation), then stop gracefully."""
    reconciler = load_reconciler(options.target)
    async with _client(options) as client:
        for_resource = await resolve(client, options.for_)
        election = None
        if options.leader_election_id:
            election = LeaderElectionOptions(name=options.leader_election_id)
            if options.leader_election_namespace:
                election = replace(election, namespace=options.leader_election_namespace)
        manager = Manager(
            client,
            options=ManagerOptions(
                http_port=options.http_port,
                leader_election=election,
                cache=CacheOptions(namespace=options.namespace),
            ),
        )
        builder: Builder = Controller.build(manager).for_(for_resource)
        for owned in options.owns:
            builder = builder.owns(await resolve(client, owned))
        if options.name:
            builder = builder.named(options.name)
        builder.with_options(
            ControllerOptions(max_concurrent_reconciles=options.max_concurrent_reconciles)
        ).complete(reconciler)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, manager.stop)
        try:
            log.info("running %s for %s", options.target, for_resource)
            await manager.run()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)


def run_cli(args: argparse.Namespace) -> int:
    """``shoal run`` (flags defined in :mod:`shoal.cli`): parsed arguments in, exit status out."""
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    values = {f.name: getattr(args, f.name) for f in fields(RunOptions)}
    options = RunOptions(**{**values, "owns": tuple(values["owns"])})
    try:
        asyncio.run(run_reconciler(options))
    except (ShoalError, ValueError, ImportError, AttributeError) as exc:
        log.error("shoal run: %s", exc)
        return 1
    return 0
