"""The shipped field tables match the installed official client, and the simulator does not import it."""

from __future__ import annotations

import subprocess
import sys

from shoal.sim._builtin_fields import builtin_fields, generate


def test_shipped_table_matches_the_installed_client() -> None:
    assert builtin_fields() == generate(), "run: python -m shoal.sim._builtin_fields"


def test_every_served_builtin_kind_has_a_model() -> None:
    from shoal.sim._builtin_fields import model_candidates
    from shoal.sim._resources import BUILTIN_RESOURCES

    table = builtin_fields()
    missing = [
        info.kind
        for info in BUILTIN_RESOURCES
        if not any(n in table for n in model_candidates(info.gvr.group, info.gvr.version, info.kind))
    ]
    assert missing == []


def test_simulator_with_field_validation_does_not_import_the_official_client() -> None:
    code = (
        "import asyncio, sys\n"
        "from shoal.sim import Simulator\n"
        "from shoal.api import GroupVersionResource\n"
        "async def main():\n"
        "    async with Simulator() as sim:\n"
        "        pod = {'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'p'},\n"
        "               'spec': {'containers': [{'name': 'c', 'image': 'i', 'bogus': 1}]}}\n"
        "        made = await sim.client().create(GroupVersionResource('', 'v1', 'pods'), pod, namespace='default')\n"
        "        assert 'bogus' not in made['spec']['containers'][0]\n"
        "asyncio.run(main())\n"
        "print('kubernetes.client' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
