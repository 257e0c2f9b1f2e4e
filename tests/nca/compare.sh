#!/usr/bin/env bash
# tests/nca/compare.sh — do knet's NetworkPolicies allow exactly what a reference set allows?
#
# Usage:
#   compare.sh [-n NS] [--no-probes] [--keep] KNET UNIT REFERENCE_DIR
#
#   KNET           the knet binary (e.g. target/debug/knet)
#   UNIT           a .knet file or a directory of them (what `knet build` takes)
#   REFERENCE_DIR  YAML (files or directories, searched recursively for *.yaml, *.yml,
#                  *.json) holding the workloads (Pod, Deployment, StatefulSet, DaemonSet,
#                  ReplicaSet, ReplicationController, Job, CronJob), the Namespace objects
#                  (their labels matter to namespaceSelectors) and the reference
#                  NetworkPolicies. Either the "original" manifests of a real application
#                  (tests/realworld/NAME/original/) or hand-written workloads + the
#                  policies the book says a construct means (tests/nca/cases/NAME/expected/).
#                  Services, Ingresses and every other kind are ignored.
#   -n NS          objects of REFERENCE_DIR without metadata.namespace go to NS, as with
#                  `kubectl apply -n NS -f REFERENCE_DIR` (default: default)
#   --no-probes    do not add the probe pods (see below)
#   --keep         keep the work directory and print its path
#
# What it does:
#   1. `KNET build UNIT`; the NetworkPolicies of its stream are the "knet" configuration
#      (Services and Ingresses are dropped: nca would read an Ingress as a policy layer of
#      its own and add an ingress-controller pod to that configuration only).
#   2. The NetworkPolicies of REFERENCE_DIR are the "reference" configuration.
#   3. One topology for both (tests/nca/extract.py): the workloads and Namespaces of
#      REFERENCE_DIR, a Namespace object for every namespace used without one, plus
#      - kube-system/kube-dns (k8s-app=kube-dns) and ingress-nginx/ingress-nginx-controller
#        (app.kubernetes.io/name=ingress-nginx), knet's default DNS and ingress-controller
#        peers, unless REFERENCE_DIR has its own pods with those labels there;
#      - probes: a label-less pod `nca-probe` in every namespace and in an extra namespace
#        `nca-probe`, standing for "any other pod" (so that `podSelector: {}` differs from
#        a list of apps and `namespaceSelector: {}` from a list of namespaces).
#   4. `nca --equiv KNET_POLICIES -b REFERENCE_POLICIES` on that topology, with
#      --print_ipv6 (otherwise nca ignores IPv6 addresses, and a rule with no `from`
#      would equal `namespaceSelector: {}` + `ipBlock 0.0.0.0/0`).
#      On a difference, `nca --semantic_diff` prints what each side allows that the other
#      does not: "Removed" = the reference allows it, knet does not; "Added"/"New" = knet
#      allows it, the reference does not.
#
# Exit status: 0 equivalent; 1 different; 2 usage error, `knet build` failed, or nca
# failed to run. Needs nca (network-config-analyzer 2.1.0) in $NCA_VENV (default: the
# repository's .venv, as .ci/run installs it).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
VENV=${NCA_VENV:-$root/.venv}
NCA=$VENV/bin/nca
PY=$VENV/bin/python

usage() {
    sed -n '4,5p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2
    exit 2
}

ns=default
probes=()
keep=false
args=()
while (($#)); do
    case $1 in
    -n) (($# >= 2)) || usage; ns=$2; shift 2 ;;
    --no-probes) probes=(--no-probes); shift ;;
    --keep) keep=true; shift ;;
    -h | --help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "compare.sh: unknown option $1" >&2; usage ;;
    *) args+=("$1"); shift ;;
    esac
done
((${#args[@]} == 3)) || usage
knet=${args[0]} unit=${args[1]} reference=${args[2]}

[[ -x $knet ]] || { echo "compare.sh: $knet is not an executable" >&2; exit 2; }
[[ -e $unit ]] || { echo "compare.sh: no unit $unit" >&2; exit 2; }
[[ -d $reference || -f $reference ]] || { echo "compare.sh: no reference $reference" >&2; exit 2; }
[[ -x $NCA && -x $PY ]] || { echo "compare.sh: nca is not installed in $VENV (see .ci/run step 7)" >&2; exit 2; }

work=$(mktemp -d)
if $keep; then
    echo "work directory: $work"
else
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/knet" "$work/reference"

label="$unit vs $reference"

if ! "$knet" build "$unit" --color never >"$work/knet-stream.yaml" 2>"$work/knet.err"; then
    cat "$work/knet.err" >&2
    echo "ERROR  $label: \`knet build $unit\` failed (above)" >&2
    exit 2
fi
"$PY" "$here/extract.py" policies "$work/knet/policies.yaml" "$work/knet-stream.yaml" 2>/dev/null &&
    "$PY" "$here/extract.py" policies "$work/reference/policies.yaml" --namespace "$ns" "$reference" 2>/dev/null &&
    "$PY" "$here/extract.py" topology "$work/topology" --namespace "$ns" "${probes[@]}" "$reference" 2>"$work/extract.err" || {
    cat "$work/extract.err" >&2
    echo "ERROR  $label: could not read the YAML" >&2
    exit 2
}

topology=(-n "$work/topology/namespaces" -p "$work/topology/pods"
    -nb "$work/topology/namespaces" -pb "$work/topology/pods")

# nca names each configuration after its path; run from $work so the names are short.
cd "$work" || exit 2
"$NCA" --equiv knet/policies.yaml -b reference/policies.yaml "${topology[@]}" --print_ipv6 \
    >equiv.out 2>&1
rc=$?
case $rc in
0)
    echo "EQUIVALENT  $label"
    exit 0
    ;;
1)
    echo "DIFFERENT   $label"
    "$NCA" --semantic_diff knet/policies.yaml -b reference/policies.yaml "${topology[@]}" --print_ipv6 \
        >diff.out 2>&1
    # Drop nca's timing line and its per-selector lint warnings; keep the verdict and diff.
    grep -v -e '^Total run time' -e ': Warning: ' -e '^global: cluster has' diff.out |
        sed -e "s#knet/policies.yaml\(\*\*\)\{0,1\}#knet#g" -e "s#reference/policies.yaml\(\*\*\)\{0,1\}#reference#g" |
        sed 's/^/    /'
    echo "    (\"Removed\": the reference allows it, knet does not; \"Added\"/\"New\": knet allows it, the reference does not)"
    exit 1
    ;;
*)
    cat equiv.out >&2
    echo "ERROR  $label: nca --equiv exited with $rc (above)" >&2
    exit 2
    ;;
esac
