#!/usr/bin/env bash
# tests/lab/run.sh — real TCP connections through the rules that `knet preview` prints.
#
# Usage (as root): tests/lab/run.sh KNET
#
# Builds a one-node "cluster" out of network namespaces (see tests/lab/README.md): a node
# namespace that carries `knet preview ipset` and `knet preview iptables --format save`
# for tests/lab/lab.knet, one namespace per pod of the preview (a veth pair to the node,
# the pod's /32 address, a default route via the node), and a client namespace outside
# the cluster that reaches the node IP (`cluster { node-ip }`). Tiny HTTP servers in the
# pods serve their own pod name; connections are then opened from pods and from the client
# and each check prints PASS or FAIL. Everything (namespaces, servers, temporary files) is
# removed on exit, failure or interrupt included. Only addresses of the lab are contacted:
# the pods', the ClusterIPs, the node IP.
#
# Needs: ip (iproute2), ipset, iptables (nf_tables variant), nfacct, python3.
set -euo pipefail

(($# == 1)) || { echo "usage: $0 KNET" >&2; exit 2; }
KNET=$1
[[ -x $KNET ]] || { echo "$0: $KNET is not an executable" >&2; exit 2; }
KNET=$(realpath "$KNET")

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
LAB=tests/lab/lab.knet
PROBE=$PWD/tests/lab/probe.py
STARTED=$SECONDS

missing=()
for tool in ip ipset iptables-restore iptables-save nfacct python3; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "$0: missing tools: ${missing[*]} (apt-get install iproute2 ipset iptables nfacct python3)" >&2
    exit 2
fi
((EUID == 0)) || { echo "$0: run as root (it creates network namespaces)" >&2; exit 2; }

# Namespace names carry the PID, so two runs (or a leftover of a killed one) never clash.
NS_PREFIX=knetlab$$
NODE=$NS_PREFIX-node
CLIENT=$NS_PREFIX-client
TMP=$(mktemp -d)
namespaces=()
servers=()

cleanup() {
    local status=$? pid ns
    trap - EXIT INT TERM
    for pid in "${servers[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${servers[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    for ns in "${namespaces[@]}"; do
        # Anything still running in the namespace was started by this script.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -9 "$pid" 2>/dev/null || true
        done
        ip netns delete "$ns" 2>/dev/null || true
    done
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
    echo "$0: $*" >&2
    exit 1
}

in_ns() {
    local ns=$1
    shift
    ip netns exec "$ns" "$@"
}

add_ns() {
    ip netns add "$1"
    namespaces+=("$1")
    ip -n "$1" link set lo up
}

# ───────────────────────── the preview ─────────────────────────

"$KNET" preview ipset "$LAB" --color never >"$TMP/sets" || die "knet preview ipset failed"
"$KNET" preview iptables "$LAB" --format save --color never >"$TMP/save" ||
    die "knet preview iptables failed"

NODE_IP=$(awk '$1 == "node-ip" { print $2 }' "$LAB")
[[ $NODE_IP =~ ^[0-9.]+$ ]] || die "$LAB has no \`node-ip\` setting"
# The client lives outside the cluster; its address is only ever a source.
CLIENT_IP=192.0.2.1

# The pods, as the preview names them, from kube-router's per-pod jump rules (with its
# classic comments, or with the `NS/POD in` ones of kube-router 2.11):
#   -A KUBE-ROUTER-FORWARD -d 10.244.1.10/32 -m comment --comment "rule to jump traffic
#      destined to POD name:web-0 namespace: lab to chain KUBE-POD-FW-..." -j ...
#   -A KUBE-ROUTER-FORWARD -d 10.244.1.10/32 -m comment --comment "lab/web-0 in" -j ...
declare -A pod_ip=()
pods=()
while read -r name ip; do
    pod_ip[$name]=$ip
    pods+=("$name")
done < <(sed -nE \
    -e 's|^-A KUBE-ROUTER-FORWARD -d ([0-9.]+)/32 -m comment --comment "rule to jump traffic destined to POD name:([^ ]+) namespace: .*|\2 \1|p' \
    -e 's|^-A KUBE-ROUTER-FORWARD -d ([0-9.]+)/32 -m comment --comment "[^/ ]+/([^ ]+) in" .*|\2 \1|p' \
    "$TMP/save")
((${#pods[@]})) || die "the preview has no pod"

# The ports each pod serves: kube-proxy's DNAT rules (`--to-destination IP:PORT`).
declare -A pod_ports=()
while read -r ip port; do
    for name in "${pods[@]}"; do
        [[ ${pod_ip[$name]} == "$ip" ]] && pod_ports[$name]+=" $port"
    done
done < <(sed -nE 's|.* -j DNAT --to-destination ([0-9.]+):([0-9]+)$|\1 \2|p' "$TMP/save" | sort -u)

# `cluster_ip NS/APP:PORT` prints "IP PORT" of that Service port, from the preview:
#   -A KUBE-SERVICES -d 10.104.206.152/32 -p tcp -m comment --comment "lab/web:http cluster IP" -m tcp --dport 80 ...
cluster_ip() {
    sed -nE "s|^-A KUBE-SERVICES -d ([0-9.]+)/32 -p tcp -m comment --comment \"$1 cluster IP\" -m tcp --dport ([0-9]+) .*|\1 \2|p" "$TMP/save"
}

# `node_port NS/APP:PORT` prints the node port, from the preview:
#   -A KUBE-NODEPORTS -p tcp -m comment --comment "lab/web:http" -m tcp --dport 30080 ...
node_port() {
    sed -nE "s|^-A KUBE-NODEPORTS -p tcp -m comment --comment \"$1\" -m tcp --dport ([0-9]+) .*|\1|p" "$TMP/save"
}

# ───────────────────────── the lab ─────────────────────────

add_ns "$NODE"
# The node routes between its links, lets kube-proxy DNAT to 127.0.0.0/8 node ports,
# and does no reverse-path filtering (each pod is a /32 route on its own link).
# (/proc/sys/net shows the sysctls of the namespace of the process that reads it.)
for setting in ip_forward=1 conf/all/route_localnet=1 conf/all/rp_filter=0 conf/default/rp_filter=0; do
    in_ns "$NODE" sh -c "echo ${setting#*=} >/proc/sys/net/ipv4/${setting%=*}"
done

# One veth pair between the node and NS: `link NS NODE_SIDE ADDRESS`. The node side also
# carries the node IP (/32), so that the node answers ARP for the pods' gateway and
# MASQUERADE has a source address on every link.
link() {
    local ns=$1 node_side=$2 address=$3
    ip -n "$NODE" link add "$node_side" type veth peer name eth0 netns "$ns"
    ip -n "$NODE" addr add "$NODE_IP/32" dev "$node_side"
    ip -n "$NODE" link set "$node_side" up
    ip -n "$NODE" route add "$address/32" dev "$node_side"
    ip -n "$ns" addr add "$address/32" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add "$NODE_IP/32" dev eth0
    ip -n "$ns" route add default via "$NODE_IP" dev eth0
}

index=0
for name in "${pods[@]}"; do
    add_ns "$NS_PREFIX-$name"
    link "$NS_PREFIX-$name" "pod$index" "${pod_ip[$name]}"
    index=$((index + 1))
done
add_ns "$CLIENT"
link "$CLIENT" client "$CLIENT_IP"

# The node's rules: kube-proxy's nfacct objects, kube-router's sets, then the save format.
in_ns "$NODE" nfacct add ct_state_invalid_dropped_pkts >/dev/null
in_ns "$NODE" nfacct add localhost_nps_accepted_pkts >/dev/null
in_ns "$NODE" ipset restore <"$TMP/sets" || die "ipset restore failed in the node namespace"
in_ns "$NODE" iptables-restore <"$TMP/save" || die "iptables-restore failed in the node namespace"

# A server per pod and port, serving a file `pod` that holds the pod's name.
for name in "${pods[@]}"; do
    mkdir -p "$TMP/www/$name"
    echo "$name" >"$TMP/www/$name/pod"
    for port in ${pod_ports[$name]:-}; do
        in_ns "$NS_PREFIX-$name" python3 -m http.server "$port" --bind 0.0.0.0 \
            --directory "$TMP/www/$name" >"$TMP/server-$name-$port.log" 2>&1 &
        servers+=("$!")
    done
done
# Ready when each answers its own pod (over the pod's loopback path, not the node).
for name in "${pods[@]}"; do
    for port in ${pod_ports[$name]:-}; do
        for _ in $(seq 50); do
            [[ $(in_ns "$NS_PREFIX-$name" python3 "$PROBE" "${pod_ip[$name]}" "$port" 1) == "answered $name" ]] &&
                continue 2
            sleep 0.1
        done
        cat "$TMP/server-$name-$port.log" >&2
        die "the server of $name on port $port did not start"
    done
done

echo "lab: node $NODE_IP, client $CLIENT_IP, pods:$(for n in "${pods[@]}"; do printf ' %s=%s' "$n" "${pod_ip[$n]}"; done)" \
    "(set up in $((SECONDS - STARTED))s)"

# ───────────────────────── the checks ─────────────────────────

passed=0
failed=0

# `expect_answer WHAT FROM HOST PORT POD TARGET_PORT SOURCE`: a connection from namespace
# FROM to HOST:PORT is answered by the server of POD on TARGET_PORT, which saw it come
# from SOURCE (the client's own address, or the node IP where kube-proxy masquerades).
expect_answer() {
    local what=$1 from=$2 host=$3 port=$4 pod=$5 target_port=$6 source=$7 got seen
    got=$(in_ns "$from" python3 "$PROBE" "$host" "$port" 2)
    seen=$(tail -n 1 "$TMP/server-$pod-$target_port.log" | cut -d' ' -f1)
    if [[ $got != "answered $pod" ]]; then
        echo "FAIL $what: expected an answer from $pod, got: $got"
        failed=$((failed + 1))
    elif [[ $seen != "$source" ]]; then
        echo "FAIL $what: answered by $pod, but it saw the connection come from $seen, not $source"
        failed=$((failed + 1))
    else
        echo "PASS $what: answered by $pod, from $source"
        passed=$((passed + 1))
    fi
}

# `expect_reject WHAT FROM HOST PORT`: the connection is refused within a second (the
# policy REJECTs it) rather than answered or left to time out.
expect_reject() {
    local what=$1 from=$2 host=$3 port=$4 got
    got=$(in_ns "$from" python3 "$PROBE" "$host" "$port" 2)
    if [[ $got =~ ^refused\ 0\. ]]; then
        echo "PASS $what: rejected in ${got#refused }s"
        passed=$((passed + 1))
    else
        echo "FAIL $what: expected a fast reject, got: $got"
        failed=$((failed + 1))
    fi
}

for name in web-0 api-0 frontend-0 intruder-0; do
    [[ -n ${pod_ip[$name]:-} ]] || die "the preview of $LAB has no pod $name"
done
read -r web_cip web_cport < <(cluster_ip lab/web:http)
read -r api_cip api_cport < <(cluster_ip lab/api:http)
web_np=$(node_port lab/web:http)
[[ -n $web_cip && -n $api_cip && -n $web_np ]] || die "the preview lacks a ClusterIP or node port rule"
FRONTEND=$NS_PREFIX-frontend-0
INTRUDER=$NS_PREFIX-intruder-0

# (a) kube-proxy: the node's nat PREROUTING → KUBE-SERVICES DNATs ClusterIP traffic.
# Traffic from a pod is not masqueraded (`! -s POD_CIDR -j KUBE-MARK-MASQ`).
expect_answer "(a) frontend-0 -> web ClusterIP $web_cip:$web_cport (DNAT)" \
    "$FRONTEND" "$web_cip" "$web_cport" web-0 8080 "${pod_ip[frontend-0]}"
expect_answer "(a) frontend-0 -> api ClusterIP $api_cip:$api_cport (DNAT)" \
    "$FRONTEND" "$api_cip" "$api_cport" api-0 8080 "${pod_ip[frontend-0]}"
# (b) kube-proxy: KUBE-NODEPORTS, then KUBE-EXT marks for masquerade (traffic policy
# cluster), then the policy allows `world`; KUBE-POSTROUTING masquerades to the node IP.
expect_answer "(b) client -> node port $NODE_IP:$web_np" \
    "$CLIENT" "$NODE_IP" "$web_np" web-0 8080 "$NODE_IP"
# (c) kube-router: KUBE-ROUTER-FORWARD lets an allowed flow through.
expect_answer "(c) frontend-0 -> web-0 ${pod_ip[web-0]}:8080 (allowed flow)" \
    "$FRONTEND" "${pod_ip[web-0]}" 8080 web-0 8080 "${pod_ip[frontend-0]}"
# (d) kube-router: flows the model does not allow are REJECTed.
expect_reject "(d) intruder-0 -> web-0 ${pod_ip[web-0]}:8080 (no flow)" \
    "$INTRUDER" "${pod_ip[web-0]}" 8080
expect_reject "(d) intruder-0 -> web ClusterIP $web_cip:$web_cport (no flow, after DNAT)" \
    "$INTRUDER" "$web_cip" "$web_cport"
expect_reject "(d) frontend-0 -> api-0 ${pod_ip[api-0]}:9090 (a port the flow does not name)" \
    "$FRONTEND" "${pod_ip[api-0]}" 9090
expect_reject "(d) client -> api-0 ${pod_ip[api-0]}:8080 (world, not exposed)" \
    "$CLIENT" "${pod_ip[api-0]}" 8080

if ((failed)); then
    echo
    echo "the node's rules that matched packets (iptables-save -c, non-zero counters):"
    in_ns "$NODE" iptables-save -c | grep -Ev '^\[0:0\]|^#' | grep -E '^\[|^\*' | sed 's/^/    /' || true
fi
echo
echo "$passed passed, $failed failed ($((SECONDS - STARTED))s)"
((failed == 0))
