#!/usr/bin/env python3
"""Keep only what the network analysis needs from upstream Kubernetes manifests.

    trim.py OUT.yaml IN.yaml...

Reads every object of the input streams (Lists flattened) and writes, in input order:
  - workloads (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController,
    Job, CronJob): name, namespace, labels, replicas, selector, the pod template's labels,
    and per container its name, image and ports — nothing else (no env, probes,
    resources, volumes, security contexts);
  - Services, NetworkPolicies and Namespaces: whole, minus `status` and annotations;
  - every other kind is dropped and named on standard error.
This is how tests/realworld/*/original/ was made from the upstream files named in each
SOURCE.md; it changes no value it keeps.
"""

import sys

import yaml

WORKLOADS = {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
             "ReplicationController", "Job", "CronJob"}
WHOLE = {"Service", "NetworkPolicy", "Namespace"}


def flatten(doc):
    if not isinstance(doc, dict):
        return
    if doc.get("kind", "").endswith("List") and isinstance(doc.get("items"), list):
        for item in doc["items"]:
            yield from flatten(item)
    else:
        yield doc


def meta(m):
    out = {k: m[k] for k in ("name", "namespace", "labels") if k in (m or {})}
    return out


def containers(spec):
    out = []
    for c in (spec or {}).get("containers") or []:
        kept = {k: c[k] for k in ("name", "image", "ports") if k in c}
        out.append(kept)
    return out


def trim_workload(obj):
    kind = obj["kind"]
    out = {"apiVersion": obj.get("apiVersion"), "kind": kind, "metadata": meta(obj.get("metadata"))}
    if kind == "Pod":
        out["spec"] = {"containers": containers(obj.get("spec"))}
        return out
    spec = obj.get("spec") or {}
    outer = {}
    if kind == "CronJob":
        outer = {"schedule": spec.get("schedule", "* * * * *")}
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    inner = {k: spec[k] for k in ("replicas", "parallelism", "selector") if k in spec}
    template = spec.get("template") or {}
    inner["template"] = {
        "metadata": {k: v for k, v in (template.get("metadata") or {}).items() if k == "labels"},
        "spec": {"containers": containers(template.get("spec"))},
    }
    if kind == "CronJob":
        outer["jobTemplate"] = {"spec": inner}
        out["spec"] = outer
    else:
        out["spec"] = inner
    return out


def trim_whole(obj):
    obj = dict(obj)
    obj.pop("status", None)
    m = dict(obj.get("metadata") or {})
    for k in ("annotations", "creationTimestamp", "resourceVersion", "uid", "generation",
              "managedFields", "selfLink"):
        m.pop(k, None)
    obj["metadata"] = m
    return obj


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    out, kept, dropped = argv[0], [], {}
    for path in argv[1:]:
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                for obj in flatten(doc):
                    kind = obj.get("kind")
                    if kind in WORKLOADS:
                        kept.append(trim_workload(obj))
                    elif kind in WHOLE:
                        kept.append(trim_whole(obj))
                    else:
                        dropped[kind] = dropped.get(kind, 0) + 1
    with open(out, "w", encoding="utf-8") as f:
        yaml.safe_dump_all(kept, f, sort_keys=False, explicit_start=True)
    print(f"{out}: kept {len(kept)} objects; dropped {dropped or 'nothing'}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
