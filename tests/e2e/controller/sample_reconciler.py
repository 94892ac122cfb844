"""A reconciler for the ``shoal run`` end-to-end test: labels every ConfigMap it sees as reconciled."""

from __future__ import annotations

from shoal.api import GroupVersionResource, PatchType
from shoal.controller import ReconcileContext, Request, Result

CMS = GroupVersionResource("", "v1", "configmaps")


class Labeler:
    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        obj = await ctx.reader.get(CMS, request.name, namespace=request.namespace)
        if (obj["metadata"].get("labels") or {}).get("reconciled") == "yes":
            return None
        patch = {"metadata": {"labels": {"reconciled": "yes"}}}
        await ctx.client.patch(
            CMS, request.name, patch, patch_type=PatchType.MERGE, namespace=request.namespace
        )
        return None
