#!/usr/bin/env bash
# tests/import/roundtrip.sh — does knet's own output import back to the same connectivity?
#
# Usage:
#   roundtrip.sh [--no-probes] [--keep] [--skip-nca WHY] KNET UNIT
#
#   KNET  the knet binary (e.g. target/debug/knet)
#   UNIT  a .knet file or a directory of them that builds (an example, a valid case)
#   --no-probes  compare without tests/nca/compare.sh's probe pods (default: with them:
#                knet wrote the input, so even "any other pod" must come back the same)
#   --keep       keep the work directory and print its path
#   --skip-nca WHY  skip step 5 and say why (for a unit whose YAML nca itself cannot
#                read; the other steps still run)
#
# Steps (every failure is reported, then the script exits 1):
#   1. `KNET build UNIT > a.yaml`
#   2. `KNET import a.yaml > b.knet`: exit 0 and no W04xx/E04xx (knet's own output must
#      import without loss)
#   3. `KNET build b.knet > b.yaml`
#   4. `KNET import b.yaml` gives exactly the text of b.knet (importing twice is stable)
#   5. nca: b.yaml's NetworkPolicies allow exactly what a.yaml's allow, on a topology made
#      up from a.yaml by synth_topology.py (one pod per Service selector and per distinct
#      NetworkPolicy pod selector, in the namespaces they mean; see its docstring), with
#      tests/nca/compare.sh (which builds b.knet itself).
#
# Exit status: 0 all passed; 1 some failed; 2 usage error, UNIT does not build, or missing
# tools. Needs nca in $NCA_VENV (default: the repository's .venv).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
VENV=${NCA_VENV:-$root/.venv}
PY=$VENV/bin/python

usage() {
    sed -n '4,5p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2
    exit 2
}

probes=()
keep=false
skip_nca=""
args=()
while (($#)); do
    case $1 in
    --no-probes) probes=(--no-probes); shift ;;
    --keep) keep=true; shift ;;
    --skip-nca) (($# >= 2)) || usage; skip_nca=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "roundtrip.sh: unknown option $1" >&2; usage ;;
    *) args+=("$1"); shift ;;
    esac
done
((${#args[@]} == 2)) || usage
knet=${args[0]} unit=${args[1]}
[[ -x $knet ]] || { echo "roundtrip.sh: $knet is not an executable" >&2; exit 2; }
[[ -e $unit ]] || { echo "roundtrip.sh: no unit $unit" >&2; exit 2; }
[[ -x $PY ]] || { echo "roundtrip.sh: no python in $VENV (see .ci/run step 7)" >&2; exit 2; }

work=$(mktemp -d)
if $keep; then
    echo "work directory: $work"
else
    trap 'rm -rf "$work"' EXIT
fi
problems=()
fail() {
    echo "  FAIL $unit: $*" >&2
    problems+=("$*")
}
show_diags() { [[ -s $1 ]] && sed 's/^/    /' "$1" >&2; }

# 1.
if ! "$knet" build "$unit" --color never >"$work/a.yaml" 2>"$work/a.err"; then
    show_diags "$work/a.err"
    echo "ERROR $unit: \`knet build\` failed (above)" >&2
    exit 2
fi

# 2.
"$knet" import "$work/a.yaml" --color never >"$work/b.knet" 2>"$work/b.err"
rc=$?
if ((rc != 0)) || grep -qE '\b[EW]04[0-9][0-9]\b' "$work/b.err"; then
    show_diags "$work/b.err"
    fail "knet import of its own output exited with $rc or reported a loss (above)"
fi
if [[ ! -s $work/b.knet ]]; then
    fail "knet import wrote nothing"
    echo "FAIL $unit"
    exit 1
fi

# 3.
if ! "$knet" build "$work/b.knet" --color never >"$work/b.yaml" 2>"$work/b-build.err"; then
    show_diags "$work/b-build.err"
    sed 's/^/    b.knet: /' "$work/b.knet" >&2
    fail "the imported knet does not build (above)"
    echo "FAIL $unit"
    exit 1
fi

# 4.
"$knet" import "$work/b.yaml" --color never >"$work/c.knet" 2>"$work/c.err"
rc=$?
((rc == 0)) || { show_diags "$work/c.err"; fail "knet import of b.yaml exited with $rc"; }
if ! cmp -s "$work/b.knet" "$work/c.knet"; then
    diff -u "$work/b.knet" "$work/c.knet" | sed 's/^/    /' >&2
    fail "importing the imported knet's output gives other text (diff b.knet c.knet above)"
fi

# 5.
if [[ -n $skip_nca ]]; then
    echo "  note $unit: nca comparison skipped: $skip_nca"
    if ((${#problems[@]})); then
        echo "FAIL $unit: ${#problems[@]} problems"
        exit 1
    fi
    echo "ok   $unit (round trip, without nca)"
    exit 0
fi
mkdir -p "$work/reference"
cp "$work/a.yaml" "$work/reference/a.yaml"
"$PY" "$here/synth_topology.py" "$work/reference/topology.yaml" "$work/a.yaml" 2>"$work/synth.err" ||
    { show_diags "$work/synth.err"; echo "ERROR $unit: synth_topology.py failed" >&2; exit 2; }
bash "$root/tests/nca/compare.sh" "${probes[@]}" "$knet" "$work/b.knet" "$work/reference" \
    >"$work/compare.out" 2>&1
rc=$?
case $rc in
0) ;;
1)
    sed 's/^/  /' "$work/compare.out"
    fail "nca: b.yaml does not allow what a.yaml allows (\"reference\" = a.yaml, \"knet\" = b.yaml)"
    ;;
*)
    sed 's/^/  /' "$work/compare.out" >&2
    fail "compare.sh failed to run (exit $rc)"
    ;;
esac

if ((${#problems[@]})); then
    echo "FAIL $unit: ${#problems[@]} problems"
    exit 1
fi
echo "ok   $unit (round trip)"
