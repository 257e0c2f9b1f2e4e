#!/usr/bin/env bash
# tests/import/check.sh — does `knet import` of a real application allow what it allowed?
#
# Usage:
#   check.sh [--accept] KNET DIR
#
#   KNET  the knet binary (e.g. target/debug/knet)
#   DIR   a corpus entry tests/import/NAME/: original/ (the published YAML, imported as
#         it is), SOURCE.md, and EXPECTED-LOSSES.md when some of it cannot be said in knet
#   --accept  record the nca difference of a lossy entry as DIR/ACCEPTED-DIFF.txt (see 6)
#
# What it checks, in order (every failure is reported, then the script exits 1):
#   1. `KNET import DIR/original -o imported.knet --message-format json` (without
#      --allow-lossy): no error diagnostic (E04xx: bad YAML, duplicate objects...); the
#      W04xx codes it reports are exactly accounted for by DIR/EXPECTED-LOSSES.md: every
#      reported W04xx code must be listed there (a listed code that is not reported is
#      only a note: the importer got better, shorten the list); exit status 1 when it
#      reported a W04xx, 0 otherwise. Without EXPECTED-LOSSES.md no W04xx may appear.
#      EXPECTED-LOSSES.md lists a code as a Markdown list item starting with it in
#      backquotes, "- `W0412` ...". A placeholder such as `W04??` fails: fill in the code.
#   2. With EXPECTED-LOSSES.md: the same command with --allow-lossy exits 0 and writes the
#      same text.
#   3. The text is in `knet fmt`'s layout (`KNET fmt --check`), and importing again gives
#      the same bytes.
#   4. `-o DIR` (one file per namespace) builds to the same objects as the single file.
#   5. `KNET build imported.knet` succeeds (warnings are shown, not fatal).
#   6. tests/nca/compare.sh --no-probes: the built NetworkPolicies allow exactly what the
#      original ones allow, for the original's workloads and Namespaces (objects without a
#      namespace are in `default`, as for `kubectl apply` and `knet import`). No probe
#      pods: pods the input does not run are out of the importer's scope.
#      A difference fails, except for an entry with EXPECTED-LOSSES.md whose
#      DIR/ACCEPTED-DIFF.txt holds exactly the difference compare.sh prints now (its
#      lines after the first): a listed loss may change connectivity, but only in the way
#      someone read and accepted. `--accept` writes that file (review it, commit it);
#      any later change of the difference fails again.
#
# Exit status: 0 all checks passed; 1 some failed; 2 usage error or missing tools.
# Needs nca in $NCA_VENV (default: the repository's .venv; see tests/nca/compare.sh).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
VENV=${NCA_VENV:-$root/.venv}
PY=$VENV/bin/python

usage() {
    sed -n '4,5p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2
    exit 2
}

accept=false
args=()
while (($#)); do
    case $1 in
    --accept) accept=true; shift ;;
    -h | --help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "check.sh: unknown option $1" >&2; usage ;;
    *) args+=("$1"); shift ;;
    esac
done
((${#args[@]} == 2)) || usage
knet=${args[0]} dir=${args[1]%/}
[[ $knet == */* ]] || knet=$(command -v "$knet" || echo "$knet")
[[ -x $knet ]] || { echo "check.sh: $knet is not an executable" >&2; exit 2; }
knet=$(cd "$(dirname "$knet")" && pwd)/$(basename "$knet")
[[ -d $dir/original ]] || { echo "check.sh: no $dir/original/" >&2; exit 2; }
[[ -x $PY ]] || { echo "check.sh: no python in $VENV (see .ci/run step 7)" >&2; exit 2; }

name=${dir##*/}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
problems=()
fail() {
    echo "  FAIL $name: $*" >&2
    problems+=("$*")
}
note() { echo "  note $name: $*"; }

# The codes EXPECTED-LOSSES.md lists ("- `W0412` ..." items), one a line.
expected=()
lossy=false
if [[ -f $dir/EXPECTED-LOSSES.md ]]; then
    lossy=true
    mapfile -t expected < <(grep -oE '^[[:space:]]*[-*][[:space:]]+`W04[^`]*`' "$dir/EXPECTED-LOSSES.md" |
        grep -oE '`[^`]*`' | tr -d '`' | sort -u)
    for code in "${expected[@]}"; do
        [[ $code =~ ^W04[0-9][0-9]$ ]] ||
            fail "EXPECTED-LOSSES.md lists \`$code\`, not a code: write the W04xx code the importer reports"
    done
fi

# JSON diagnostics (one object a line, see book/src/cli.md) -> "SEVERITY CODE MESSAGE".
summarize() {
    "$PY" - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    line = line.strip()
    if not line:
        continue
    try:
        d = json.loads(line)
    except ValueError:
        print("text", "-", line)
        continue
    if "skipped" in d:
        print("skipped", "-", ", ".join(f"{k} ({v})" for k, v in d["skipped"].items()))
        continue
    if "code" not in d:
        print("cap", "-", line)
        continue
    where = d.get("file", "")
    if d.get("line"):
        where += f":{d['line']}"
    print(d.get("severity", "?"), d["code"], f"{where}: {d.get('message', '')}")
PY
}

# 1. Import, without --allow-lossy.
"$knet" import "$dir/original" -o "$work/imported.knet" --color never --message-format json \
    2>"$work/import.json"
rc=$?
summarize "$work/import.json" >"$work/import.diags"
sed 's/^/    /' "$work/import.diags"
mapfile -t reported < <(awk '$2 ~ /^W04/ {print $2}' "$work/import.diags" | sort -u)
if grep -qE '^error ' "$work/import.diags" || grep -qE '^[a-z]+ E[0-9]' "$work/import.diags"; then
    fail "knet import reported errors (above)"
fi
grep -q '^cap ' "$work/import.diags" && fail "knet import left diagnostics out (--max-errors cap)"
grep -q '^text ' "$work/import.diags" && note "knet import printed lines that are not JSON under --message-format json"

for code in "${reported[@]}"; do
    if ! printf '%s\n' "${expected[@]}" | grep -qx "$code"; then
        if $lossy; then
            fail "knet import reported $code, which $dir/EXPECTED-LOSSES.md does not list"
        else
            fail "knet import reported $code: faithful import expected (no EXPECTED-LOSSES.md)"
        fi
    fi
done
for code in "${expected[@]}"; do
    printf '%s\n' "${reported[@]}" | grep -qx "$code" ||
        note "EXPECTED-LOSSES.md lists $code, which knet import no longer reports: remove it"
done
want_rc=0
((${#reported[@]})) && want_rc=1
if ((rc != want_rc)); then
    fail "knet import exited with $rc, expected $want_rc (${#reported[@]} W04xx codes reported)"
fi
if [[ ! -s $work/imported.knet ]]; then
    fail "knet import wrote nothing to -o FILE"
    echo "FAIL $name"
    exit 1
fi

# 2. --allow-lossy: exit 0, same text.
if $lossy; then
    "$knet" import "$dir/original" -o "$work/lossy.knet" --allow-lossy --color never \
        --message-format json 2>/dev/null
    rc=$?
    ((rc == 0)) || fail "knet import --allow-lossy exited with $rc, expected 0"
    cmp -s "$work/imported.knet" "$work/lossy.knet" ||
        fail "knet import --allow-lossy wrote other text than without it"
fi

# 3. Layout and determinism.
"$knet" fmt --check --color never "$work/imported.knet" >"$work/fmt.out" 2>&1 ||
    { sed 's/^/    /' "$work/fmt.out"; fail "the imported text is not in knet fmt's layout (diff above)"; }
"$knet" import "$dir/original" --allow-lossy --color never >"$work/again.knet" 2>/dev/null
cmp -s "$work/imported.knet" "$work/again.knet" ||
    fail "importing twice gave different text (or stdout differs from -o FILE)"

# 4. -o DIR: one file per namespace, the same model.
mkdir -p "$work/split"
if "$knet" import "$dir/original" -o "$work/split" --allow-lossy --color never 2>/dev/null; then
    if ! "$knet" build "$work/split" --color never >"$work/split.yaml" 2>"$work/split.err"; then
        sed 's/^/    /' "$work/split.err"
        fail "the -o DIR import does not build (above)"
    fi
else
    fail "knet import -o DIR failed"
fi

# 5. Build.
if ! "$knet" build "$work/imported.knet" --color never >"$work/imported.yaml" 2>"$work/build.err"; then
    sed 's/^/    /' "$work/build.err"
    fail "the imported knet does not build (above)"
    echo "FAIL $name"
    exit 1
fi
[[ -s $work/build.err ]] && sed 's/^/    build: /' "$work/build.err"
if [[ -s $work/split.yaml ]]; then
    "$PY" - "$work/imported.yaml" "$work/split.yaml" <<'PY' || fail "-o DIR builds to other objects than -o FILE"
import sys, yaml
# Rules keep the order of the flows in the files, and `-o DIR` writes the namespaces in
# name order: compare with every list sorted (lists in these objects are sets).
def canon(v):
    if isinstance(v, dict):
        return {k: canon(x) for k, x in v.items()}
    if isinstance(v, list):
        return sorted((canon(x) for x in v), key=lambda x: yaml.safe_dump(x, sort_keys=True))
    return v
def docs(p):
    with open(p) as f:
        return sorted(yaml.safe_dump(canon(d), sort_keys=True) for d in yaml.safe_load_all(f) if d)
sys.exit(0 if docs(sys.argv[1]) == docs(sys.argv[2]) else 1)
PY
fi

# 6. nca.
bash "$root/tests/nca/compare.sh" --no-probes "$knet" "$work/imported.knet" "$dir/original" \
    >"$work/compare.out" 2>"$work/compare.err"
rc=$?
case $rc in
0)
    cat "$work/compare.out"
    [[ -f $dir/ACCEPTED-DIFF.txt ]] && note "equivalent now: delete $dir/ACCEPTED-DIFF.txt"
    ;;
1)
    tail -n +2 "$work/compare.out" >"$work/diff.txt"
    if $lossy && $accept; then
        cp "$work/diff.txt" "$dir/ACCEPTED-DIFF.txt"
        note "difference recorded in $dir/ACCEPTED-DIFF.txt: review it and commit it"
    elif $lossy && [[ -f $dir/ACCEPTED-DIFF.txt ]] && cmp -s "$work/diff.txt" "$dir/ACCEPTED-DIFF.txt"; then
        echo "DIFFERENT, as accepted in $dir/ACCEPTED-DIFF.txt (losses: ${expected[*]})"
    else
        cat "$work/compare.out"
        if $lossy && [[ -f $dir/ACCEPTED-DIFF.txt ]]; then
            diff -u "$dir/ACCEPTED-DIFF.txt" "$work/diff.txt" | sed 's/^/    /'
            fail "the nca difference is not the one accepted in ACCEPTED-DIFF.txt (diff above)"
        elif $lossy; then
            fail "nca: not equivalent (if the listed losses explain it, run check.sh --accept and review ACCEPTED-DIFF.txt)"
        else
            fail "nca: the imported knet does not allow what the original allows (above)"
        fi
    fi
    ;;
*)
    cat "$work/compare.out" "$work/compare.err" >&2
    fail "compare.sh failed to run (exit $rc)"
    ;;
esac

if ((${#problems[@]})); then
    echo "FAIL $name: ${#problems[@]} problems"
    exit 1
fi
echo "ok   $name"
