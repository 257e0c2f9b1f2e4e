#!/usr/bin/env python3
"""Split Kubernetes YAML into what np-guard's `nca` needs: policies, pods, namespaces.

Used by tests/nca/compare.sh; run it with the venv's python (it needs PyYAML, which
network-config-analyzer depends on).

    extract.py policies OUT.yaml [--namespace NS] PATH...
        Every NetworkPolicy found in PATH (files, directories searched recursively for
        *.yaml / *.yml / *.json, or `-` for standard input) goes to OUT.yaml. Everything
        else (Services, Ingresses, workloads...) is dropped: nca reads an Ingress as a
        policy of its own layer and then invents an ingress-controller pod for that
        configuration only, which makes two configurations incomparable.
        `spec.policyTypes` is written in the order Ingress, Egress: it is a set, but nca
        2.1.0 rejects `[Egress, Ingress]` ("policyTypes has invalid value in spec"),
        which kube-prometheus publishes.

    extract.py topology OUT_DIR [--namespace NS] [--no-probes] PATH...
        Writes OUT_DIR/namespaces/namespaces.yaml and OUT_DIR/pods/pods.yaml from the
        Namespace objects and the workloads (Pod, Deployment, StatefulSet, DaemonSet,
        ReplicaSet, ReplicationController, Job, CronJob) found in PATH. They go to two
        directories because nca must read the namespaces before the pods: a Namespace
        object that nca reads after a workload of that namespace loses its labels for
        that workload's pods (nca keeps the label-less namespace it made up on the fly).
        A Namespace object is made up (with only the `kubernetes.io/metadata.name` label,
        which nca and the API server give every namespace) for every namespace that a
        workload or a policy uses without a Namespace object.
        Added unless the input has its own (matched by namespace + label):
          - kube-system/kube-dns (label k8s-app=kube-dns), knet's default cluster DNS;
          - ingress-nginx/ingress-nginx-controller (app.kubernetes.io/name=ingress-nginx),
            knet's default ingress controller.
        Without them, nca adds a "LiveSim" kube-dns pod to a configuration whose policies
        name kube-dns and not to the other one, and a rule towards them is invisible.
        Unless --no-probes: one label-less pod `nca-probe` in every namespace, and a
        namespace `nca-probe` holding one. They stand for "some other pod": they tell
        `podSelector: {}` from a list of apps, and `namespaceSelector: {}` from a list of
        namespaces.

--namespace NS: objects without metadata.namespace are placed in NS, as
`kubectl apply -n NS -f DIR` would do (default: `default`).
"""

import copy
import os
import sys

import yaml

WORKLOAD_KINDS = {
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
}

DNS = ("kube-system", "kube-dns", {"k8s-app": "kube-dns"})
INGRESS_CONTROLLER = (
    "ingress-nginx",
    "ingress-nginx-controller",
    {"app.kubernetes.io/name": "ingress-nginx"},
)
PROBE = "nca-probe"


def die(msg):
    print(f"extract.py: {msg}", file=sys.stderr)
    sys.exit(2)


def yaml_files(path):
    if os.path.isdir(path):
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                if name.endswith((".yaml", ".yml", ".json")):
                    yield os.path.join(root, name)
    else:
        yield path


def documents(paths):
    """Every object of every stream, `List`s flattened, in input order."""
    for path in paths:
        for file in yaml_files(path):
            try:
                if file == "-":
                    docs = list(yaml.safe_load_all(sys.stdin))
                else:
                    with open(file, encoding="utf-8") as f:
                        docs = list(yaml.safe_load_all(f))
            except (OSError, yaml.YAMLError) as e:
                die(f"{file}: {e}")
            for doc in docs:
                yield from flatten(doc)


def flatten(doc):
    if not isinstance(doc, dict):
        return
    if doc.get("kind", "").endswith("List") and isinstance(doc.get("items"), list):
        for item in doc["items"]:
            yield from flatten(item)
    else:
        yield doc


def namespace_of(obj, default_ns):
    meta = obj.setdefault("metadata", {}) or {}
    obj["metadata"] = meta
    if not meta.get("namespace"):
        meta["namespace"] = default_ns
    return meta["namespace"]


def pod_labels(obj):
    kind = obj.get("kind")
    if kind == "Pod":
        return (obj.get("metadata") or {}).get("labels") or {}
    spec = obj.get("spec") or {}
    if kind == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    template = spec.get("template") or {}
    return (template.get("metadata") or {}).get("labels") or {}


def pod(name, namespace, labels):
    meta = {"name": name, "namespace": namespace}
    if labels:
        meta["labels"] = dict(labels)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [{"name": "main", "image": "none"}]},
    }


def namespace(name, labels=None):
    all_labels = {"kubernetes.io/metadata.name": name}
    all_labels.update(labels or {})
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": all_labels}}


def write_stream(path, objs):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump_all(objs, f, sort_keys=False, explicit_start=True)


def cmd_policies(out, default_ns, paths):
    policies = []
    for obj in documents(paths):
        if obj.get("kind") == "NetworkPolicy":
            obj = copy.deepcopy(obj)
            namespace_of(obj, default_ns)
            spec = obj.get("spec")
            if isinstance(spec, dict) and isinstance(spec.get("policyTypes"), list):
                order = {"Ingress": 0, "Egress": 1}
                spec["policyTypes"] = sorted(spec["policyTypes"], key=lambda t: order.get(t, 2))
            policies.append(obj)
    write_stream(out, policies)
    print(f"{len(policies)} NetworkPolicies -> {out}", file=sys.stderr)


def cmd_topology(out_dir, default_ns, probes, paths):
    namespaces = {}  # name -> Namespace object, first wins (as in the API server)
    used = []  # namespaces used by workloads and policies, in order
    workloads = []
    for obj in documents(paths):
        kind = obj.get("kind")
        if kind == "Namespace":
            name = (obj.get("metadata") or {}).get("name")
            if name and name not in namespaces:
                labels = (obj.get("metadata") or {}).get("labels") or {}
                namespaces[name] = namespace(name, labels)
        elif kind in WORKLOAD_KINDS:
            obj = copy.deepcopy(obj)
            used.append(namespace_of(obj, default_ns))
            workloads.append(obj)
        elif kind == "NetworkPolicy":
            used.append(namespace_of(copy.deepcopy(obj), default_ns))

    def has_pod(ns, labels):
        return any(
            w["metadata"]["namespace"] == ns
            and all(pod_labels(w).get(k) == v for k, v in labels.items())
            for w in workloads
        )

    for ns, name, labels in (DNS, INGRESS_CONTROLLER):
        if not has_pod(ns, labels):
            workloads.append(pod(name, ns, labels))
            used.append(ns)
    if probes:
        used.append(PROBE)
        for ns in dict.fromkeys(used):
            workloads.append(pod(PROBE, ns, {}))
    for ns in dict.fromkeys(used):
        namespaces.setdefault(ns, namespace(ns))

    write_stream(os.path.join(out_dir, "namespaces", "namespaces.yaml"), list(namespaces.values()))
    write_stream(os.path.join(out_dir, "pods", "pods.yaml"), workloads)
    print(
        f"topology: {len(namespaces)} namespaces, {len(workloads)} workloads -> {out_dir}",
        file=sys.stderr,
    )


def main(argv):
    if len(argv) < 3 or argv[0] not in ("policies", "topology"):
        die("usage: extract.py policies OUT.yaml [--namespace NS] PATH... | "
            "extract.py topology OUT_DIR [--namespace NS] [--no-probes] PATH...")
    cmd, out, rest = argv[0], argv[1], argv[2:]
    default_ns, probes, paths = "default", True, []
    i = 0
    while i < len(rest):
        if rest[i] == "--namespace" and i + 1 < len(rest):
            default_ns = rest[i + 1]
            i += 2
        elif rest[i] == "--no-probes":
            probes = False
            i += 1
        else:
            paths.append(rest[i])
            i += 1
    if not paths:
        die("no input path")
    if cmd == "policies":
        cmd_policies(out, default_ns, paths)
    else:
        cmd_topology(out, default_ns, probes, paths)


if __name__ == "__main__":
    main(sys.argv[1:])
