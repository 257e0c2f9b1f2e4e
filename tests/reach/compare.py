#!/usr/bin/env python3
"""Does `knet matrix` say what np-guard's analyzer (nca) says about the same YAML?

    compare.py [--keep] KNET UNIT

KNET is the knet binary, UNIT a .knet file or a directory of them (what `knet build`
takes). Run it with the venv's python (it needs PyYAML, which network-config-analyzer
depends on) and with nca installed next to it in the venv (`.ci/run` step 7), or set
NCA to the nca executable.

1. `KNET matrix --format json UNIT`: knet's connections, and the endpoints it asked
   about: every app's pod (labels and container ports), the cluster DNS and ingress
   controller pods, a pod of every namespace and namespace group the policies name,
   a pod of some other namespace, and the addresses (externals, `world`, `metadata`).
2. `KNET build UNIT`: its NetworkPolicies are the configuration nca reads (Services
   and Ingresses are dropped, as tests/nca/extract.py explains).
3. A topology for nca from the JSON: a Namespace per namespace (with its labels) and a
   Pod per pod endpoint (labels, container ports).
4. `nca --connectivity POLICIES -o txt_no_fw_rules` on that topology.
5. Both normalised to {(src, dst): connections}: nca's pods mapped back to endpoint ids
   by namespace and name; each address endpoint takes what nca says of the IP range
   that holds it; connections as "all" or {protocol: sorted port ranges}. Compared
   exactly; every difference is printed.

Exit status: 0 the same; 1 different; 2 an error (knet or nca failed, output not
understood).
"""

import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
EXTRACT = os.path.join(HERE, "..", "nca", "extract.py")


def die(message):
    print(f"compare.py: {message}", file=sys.stderr)
    sys.exit(2)


def run(args, **kwargs):
    done = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        die(f"`{' '.join(args)}` exited with {done.returncode}")
    return done.stdout


def topology(matrix, out_dir):
    os.makedirs(os.path.join(out_dir, "namespaces"))
    os.makedirs(os.path.join(out_dir, "pods"))
    namespaces = [
        {"apiVersion": "v1", "kind": "Namespace",
         "metadata": {"name": n["name"], "labels": n["labels"]}}
        for n in matrix["namespaces"]
    ]
    pods = []
    for e in matrix["endpoints"]:
        if "pod" not in e:
            continue
        container = {"name": "main", "image": "none"}
        ports = []
        for p in e["ports"]:
            port = {"containerPort": p["port"], "protocol": p["protocol"]}
            if p["name"]:
                port["name"] = p["name"]
            ports.append(port)
        if ports:
            container["ports"] = ports
        metadata = {"name": e["pod"], "namespace": e["namespace"]}
        if e["labels"]:
            metadata["labels"] = e["labels"]
        pods.append({"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
                     "spec": {"containers": [container]}})
    # Namespaces first, in their own directory: nca must read them before the pods
    # (tests/nca/extract.py says why).
    with open(os.path.join(out_dir, "namespaces", "namespaces.yaml"), "w") as f:
        yaml.safe_dump_all(namespaces, f, sort_keys=False, explicit_start=True)
    with open(os.path.join(out_dir, "pods", "pods.yaml"), "w") as f:
        yaml.safe_dump_all(pods, f, sort_keys=False, explicit_start=True)


def merge(ranges):
    ranges = sorted(ranges)
    out = []
    for low, high in ranges:
        if out and low <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


def union(a, b):
    if a == "all" or b == "all":
        return "all"
    out = {p: list(r) for p, r in a.items()}
    for protocol, ranges in b.items():
        out[protocol] = merge(out.get(protocol, []) + ranges)
    return out


def knet_conns(value):
    if value == "all":
        return "all"
    out = {}
    for protocol, ranges in value.items():
        parsed = []
        for r in ranges:
            low, _, high = r.partition("-")
            parsed.append((int(low), int(high or low)))
        out[protocol] = merge(parsed)
    return out


GROUP = re.compile(r"\{protocols:([A-Z, ]+?)(?:,dst_ports:([0-9,\- ]+))?\}")


def nca_conns(text):
    text = text.strip()
    if text == "All connections":
        return "all"
    out = {}
    rest = GROUP.sub("", text).strip(", ")
    if rest:
        die(f"nca connections not understood: {text!r}")
    for protocols, ports in GROUP.findall(text):
        if ports:
            ranges = []
            for part in ports.split(","):
                low, _, high = part.strip().partition("-")
                ranges.append((int(low), int(high or low)))
        else:
            ranges = [(1, 65535)]
        for protocol in protocols.split(","):
            protocol = protocol.strip()
            out[protocol] = merge(out.get(protocol, []) + ranges)
    return out


def ip_ranges(text):
    """`a-b,c-d`, CIDRs or single addresses: a list of (first, last) integer pairs."""
    out = []
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            low, high = part.split("-", 1)
            out.append((int(ipaddress.ip_address(low)), int(ipaddress.ip_address(high))))
        else:
            net = ipaddress.ip_network(part, strict=False)
            out.append((int(net.network_address), int(net.broadcast_address)))
    return out


def main(argv):
    keep = "--keep" in argv
    argv = [a for a in argv if a != "--keep"]
    if len(argv) != 2:
        die("usage: compare.py [--keep] KNET UNIT")
    knet, unit = argv
    nca = os.environ.get("NCA") or os.path.join(os.path.dirname(sys.executable), "nca")
    if not os.access(nca, os.X_OK):
        die(f"no nca at {nca} (see .ci/run step 7)")

    work = tempfile.mkdtemp()
    try:
        matrix = json.loads(run([knet, "matrix", "--format", "json", "--color", "never", unit]))
        with open(os.path.join(work, "built.yaml"), "w") as f:
            f.write(run([knet, "build", "--color", "never", unit]))
        run([sys.executable, EXTRACT, "policies", os.path.join(work, "policies.yaml"),
             os.path.join(work, "built.yaml")])
        topology(matrix, os.path.join(work, "topology"))

        endpoints = matrix["endpoints"]
        pods = {(e["namespace"], e["pod"]): e["id"] for e in endpoints if "pod" in e}
        addresses = [(e["id"], ipaddress.ip_address(e["address"]))
                     for e in endpoints if "address" in e]
        args = [nca, "--connectivity", "policies.yaml",
                "-n", "topology/namespaces", "-p", "topology/pods",
                "-o", "txt_no_fw_rules"]
        if any(a.version == 6 for _, a in addresses):
            args.append("--print_ipv6")
        output = run(args, cwd=work)

        def ends(text):
            text = text.strip()
            m = re.fullmatch(r"([^/\s]+)/([^\[\s]+)\[Pod\]", text)
            if m:
                key = (m.group(1), m.group(2))
                if key not in pods:
                    die(f"nca names a pod knet did not list: {text}")
                return [pods[key]]
            ranges = ip_ranges(text)
            return [i for i, a in addresses if any(lo <= int(a) <= hi for lo, hi in ranges)]

        theirs = {}
        for line in output.splitlines():
            if " => " not in line or " : " not in line:
                continue
            pair, conns = line.split(" : ", 1)
            src, dst = pair.split(" => ", 1)
            conns = nca_conns(conns)
            for s in ends(src):
                for d in ends(dst):
                    theirs[(s, d)] = union(theirs.get((s, d), {}), conns)
        ours = {(c["src"], c["dst"]): knet_conns(c["conns"]) for c in matrix["connections"]}
        # nca lists nothing between two addresses; neither does knet.
        problems = []
        for key in sorted(set(ours) | set(theirs)):
            a, b = ours.get(key), theirs.get(key)
            if a != b:
                problems.append(f"    {key[0]} => {key[1]}: knet {a or 'nothing'}, nca {b or 'nothing'}")
        if problems:
            print(f"DIFFERENT  {unit}: knet matrix and nca disagree on {len(problems)} pairs")
            print("\n".join(problems))
            return 1
        print(f"SAME       {unit}: {len(ours)} connections over {len(endpoints)} endpoints")
        return 0
    finally:
        if keep:
            print(f"work directory: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
