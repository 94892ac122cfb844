"""The ``shoal`` command: ``sim`` (serve the simulator), ``demo``, ``bench``, ``run`` (a user's reconciler).

Each subcommand lives with the package it drives; this module only parses arguments and dispatches, so
importing it stays cheap.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shoal",
        description="Shoal: run Kubernetes controllers written in Python, against a cluster or the "
        "embedded Kubernetes API simulator, and measure them.",
        epilog="'shoal <command> --help' describes each command.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    sim = _command(
        sub,
        "sim",
        "serve the Kubernetes API simulator over HTTP and write a kubeconfig",
        "kubectl, the official client and kopf work against it unmodified; Ctrl-C stops it.",
    )
    sim.add_argument("--port", type=int, default=0, help="TCP port (default: a free one, printed)")
    sim.add_argument("--bind", default="127.0.0.1", help="address to listen on (default: 127.0.0.1 only)")
    sim.add_argument("--profile", default="none", help="latency profile, e.g. none or gitpod-seed")
    sim.add_argument("--nodes", type=int, default=0, help="simulated nodes (needs the node actors)")
    sim.add_argument("--token", help="require 'Authorization: Bearer <token>' (401 otherwise)")
    sim.add_argument("--kubeconfig", default=".shoal/kubeconfig", help="where to write the kubeconfig")
    sim.add_argument(
        "--kube-version",
        default=None,
        help="the Kubernetes version /version and the nodes report (default: the simulator's, 1.37.1)",
    )

    demo = _command(
        sub,
        "demo",
        "run the reference controllers on the embedded simulator",
        "The five seed workloads converge on 20 simulated nodes, with live progress, a summary table "
        "and a timeline PNG.",
    )
    demo.add_argument("--keep-running", action="store_true", help="leave the simulator up for kubectl")

    bench = _command(
        sub,
        "bench",
        "run a benchmark scenario ('shoal bench list' names them)",
        "Each scenario runs the seed's 'before', Shoal's version and the ideal of the latency model, "
        "prints a table and writes JSON, Markdown and PNG reports.",
    )
    bench.add_argument("scenario", help="scenario name, 'list' or 'all'")
    bench.add_argument("--quick", action="store_true", help="tiny sizes: checks the scenario still works")
    bench.add_argument("--scale", type=float, default=1.0, help="multiply the scenario's sizes")
    bench.add_argument("--out", default="bench-results", help="directory for .json/.md/.png reports")
    bench.add_argument("--profile", action="store_true", help="write a CPU profile of the Shoal variant")

    run = _command(
        sub,
        "run",
        "run a reconciler (module:Class) against a cluster or the simulator",
        "The cluster comes from --kubeconfig, $KUBECONFIG, ~/.kube/config or the in-cluster service "
        "account, in that order.",
    )
    run.add_argument("target", help="the reconciler as module:Class (instantiated without arguments)")
    run.add_argument(
        "--for",
        dest="for_",
        metavar="GVK",
        required=True,
        help="group/version/Kind (or /resource) to reconcile, e.g. apps/v1/Deployment or v1/ConfigMap",
    )
    run.add_argument(
        "--owns", action="append", default=[], metavar="GVK", help="group/version/Kind of owned objects"
    )
    run.add_argument("--name", default="", help="controller name in metrics and logs")
    run.add_argument("--kubeconfig", help="default: $KUBECONFIG, ~/.kube/config, then in-cluster")
    run.add_argument("--context", help="kubeconfig context")
    run.add_argument("--namespace", help="watch one namespace only (default: all)")
    run.add_argument(
        "--max-concurrent-reconciles", type=int, default=16, help="workers; one key never runs twice at once"
    )
    run.add_argument("--http-port", type=int, default=8080, help="/metrics /healthz /readyz; 0 = off")
    run.add_argument("--leader-election-id", default="", help="Lease name; turns leader election on")
    run.add_argument("--leader-election-namespace", help="Lease namespace")
    run.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR (default: INFO)")
    return parser


def _command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str, detail: str
) -> argparse.ArgumentParser:
    """A subcommand whose one-line summary shows in ``shoal --help`` and, with ``detail``, in its own."""
    return sub.add_parser(name, help=summary, description=f"{summary[0].upper()}{summary[1:]}. {detail}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``shoal`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "bench":
        from shoal.bench import run_cli

        return run_cli(args)
    if args.command == "sim":
        from shoal.sim import run_simulator

        return run_simulator(
            host=args.bind,
            port=args.port,
            profile=args.profile,
            nodes=args.nodes,
            token=args.token,
            kubeconfig_path=args.kubeconfig,
            **({} if args.kube_version is None else {"kube_version": args.kube_version}),
        )
    if args.command == "demo":
        from shoal.examples.demo import run_demo

        return run_demo(keep_running=args.keep_running)
    if args.command == "run":
        from shoal.controller import run_cli

        return run_cli(args)
    print(f"unknown command {args.command}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
