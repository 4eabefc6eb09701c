"""Render the simple kustomizations of ``deploy/k8s`` and server-side apply them, without kubectl.

Only what our layout uses: ``resources`` (files, or directories with a kustomization of their
own) and ``namespace`` (set on every namespaced object). Anything else in a kustomization is
refused rather than silently ignored. Applying is a server-side apply (PATCH
``application/apply-patch+yaml``) under one field manager, as ``kubectl apply --server-side``.
"""
from __future__ import annotations

from pathlib import Path

import yaml

__all__ = ["FIELD_MANAGER", "KustomizeError", "apply", "render"]

FIELD_MANAGER = "opsconsole"
SUPPORTED = {"apiVersion", "kind", "resources", "namespace"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass",
                  "StorageClass", "PersistentVolume"}


class KustomizeError(ValueError):
    """A kustomization uses a field this renderer does not support, or names a missing resource."""


def render(directory: Path) -> list[dict]:
    """The objects of the kustomization in ``directory``, in resource order, namespaces set."""
    path = directory / "kustomization.yaml"
    try:
        kustomization = yaml.safe_load(path.read_text()) or {}
    except OSError as e:
        raise KustomizeError(f"{path}: {e.strerror}") from e
    unsupported = set(kustomization) - SUPPORTED
    if unsupported:
        raise KustomizeError(f"{path}: unsupported field {sorted(unsupported)[0]!r}")
    objects: list[dict] = []
    for resource in kustomization.get("resources", []):
        target = directory / resource
        if target.is_dir():
            objects += render(target)
        elif target.is_file():
            objects += [doc for doc in yaml.safe_load_all(target.read_text()) if doc]
        else:
            raise KustomizeError(f"{path}: resource {resource!r} not found")
    namespace = kustomization.get("namespace")
    if namespace:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj.setdefault("metadata", {})["namespace"] = namespace
            for subject in obj.get("subjects", []) if obj["kind"] in ("RoleBinding", "ClusterRoleBinding") else []:
                if subject.get("kind") == "ServiceAccount":
                    subject["namespace"] = namespace  # as kustomize does: the account lives where it is applied
    return objects


def apply(api_client, objects: list[dict], *, field_manager: str = FIELD_MANAGER) -> list[str]:
    """Server-side apply each object in order; ``kind/name`` of each applied."""
    from kubernetes import dynamic

    resources = dynamic.DynamicClient(api_client).resources
    applied = []
    for obj in objects:
        resource = resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        namespace = obj["metadata"].get("namespace") if resource.namespaced else None
        resource.server_side_apply(body=obj, name=obj["metadata"]["name"], namespace=namespace,
                                   field_manager=field_manager, force_conflicts=True)
        applied.append(f"{obj['kind']}/{obj['metadata']['name']}")
    return applied
