#!/usr/bin/env python3
"""Make up the pods and namespaces that knet's own output implies, for nca.

    synth_topology.py OUT.yaml BUILT.yaml

`knet build` writes Services, Ingresses and NetworkPolicies but no workloads, so nca would
have no pod to compare two policy sets on. This writes to OUT.yaml, for
tests/import/roundtrip.sh (read by tests/nca/extract.py like any workload file):

- a Namespace for every namespace an object of BUILT.yaml is in, or that a
  namespaceSelector names with `kubernetes.io/metadata.name`;
- a Namespace `rt-group-N` for every other namespaceSelector with labels (a namespace
  group), carrying those labels;
- a namespace `rt-elsewhere` (no labels), for peers that select every namespace;
- one Pod per distinct pod selector: every Service's `selector`, every NetworkPolicy's
  `spec.podSelector`, and every peer's `podSelector`, in the namespace(s) the peer
  means (its policy's own namespace, the named one, the group's, or `rt-elsewhere` for
  `namespaceSelector: {}`), labelled with exactly the selector's `matchLabels`
  (an empty selector adds no pod: tests/nca/compare.sh's probe pods stand for "any pod");
- every pod gets one container port for every named port that BUILT.yaml uses (a
  NetworkPolicy port or a Service targetPort given by name), numbered 20000, 20001, ...
  in order of appearance, so that named ports resolve the same way on both sides.

matchExpressions are not read (knet does not write them); a selector that has them gets
its matchLabels only.
"""

import sys

import yaml


def main(out, built):
    with open(built, encoding="utf-8") as f:
        objs = [d for d in yaml.safe_load_all(f) if isinstance(d, dict)]

    namespaces = {}  # name -> labels
    pods = {}  # (namespace, frozenset(labels)) -> labels
    named_ports = {}  # name -> (number, protocol)
    groups = {}  # frozenset(labels) -> namespace name

    def ns(name, labels=None):
        namespaces.setdefault(name, {}).update(labels or {})

    def named(port, protocol):
        if isinstance(port, str) and port not in named_ports:
            named_ports[port] = (20000 + len(named_ports), protocol or "TCP")

    def pod(namespace, labels):
        if labels:
            pods.setdefault((namespace, frozenset(labels.items())), dict(labels))

    def peer_namespaces(own, peer):
        if "namespaceSelector" not in peer:
            return [own]
        sel = peer.get("namespaceSelector") or {}
        labels = sel.get("matchLabels") or {}
        if not labels:
            ns("rt-elsewhere")
            return [own, "rt-elsewhere"]
        name = labels.get("kubernetes.io/metadata.name")
        if name is not None and len(labels) == 1:
            ns(name)
            return [name]
        key = frozenset(labels.items())
        if key not in groups:
            groups[key] = f"rt-group-{len(groups) + 1}"
            ns(groups[key], labels)
        return [groups[key]]

    for obj in objs:
        meta = obj.get("metadata") or {}
        own = meta.get("namespace") or "default"
        ns(own)
        spec = obj.get("spec") or {}
        kind = obj.get("kind")
        if kind == "Service":
            pod(own, spec.get("selector") or {})
            for p in spec.get("ports") or []:
                named(p.get("targetPort"), p.get("protocol"))
        elif kind == "NetworkPolicy":
            pod(own, (spec.get("podSelector") or {}).get("matchLabels") or {})
            for direction, side in (("ingress", "from"), ("egress", "to")):
                for rule in spec.get(direction) or []:
                    for p in rule.get("ports") or []:
                        named(p.get("port"), p.get("protocol"))
                    for peer in rule.get(side) or []:
                        if "ipBlock" in peer:
                            continue
                        for where in peer_namespaces(own, peer):
                            sel = peer.get("podSelector") or {}
                            pod(where, sel.get("matchLabels") or {})

    ports = [
        {"name": name, "containerPort": number, "protocol": protocol}
        for name, (number, protocol) in named_ports.items()
    ]
    docs = []
    for name, labels in namespaces.items():
        all_labels = {"kubernetes.io/metadata.name": name}
        all_labels.update(labels)
        docs.append({"apiVersion": "v1", "kind": "Namespace",
                     "metadata": {"name": name, "labels": all_labels}})
    count = {}
    for (namespace, _), labels in pods.items():
        count[namespace] = count.get(namespace, 0) + 1
        container = {"name": "main", "image": "none"}
        if ports:
            container["ports"] = ports
        docs.append({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"rt-pod-{count[namespace]}", "namespace": namespace,
                         "labels": labels},
            "spec": {"containers": [container]},
        })
    with open(out, "w", encoding="utf-8") as f:
        yaml.safe_dump_all(docs, f, sort_keys=False, explicit_start=True)
    print(f"synthesized {len(namespaces)} namespaces, {len(pods)} pods, "
          f"{len(named_ports)} named ports -> {out}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: synth_topology.py OUT.yaml BUILT.yaml", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2])
