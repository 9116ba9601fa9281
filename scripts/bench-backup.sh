#!/usr/bin/env bash
# Backup and recovery benchmark (not a test), on the local test network, in one run:
#   full backup   Stratos `backup run` of a fresh account  vs  the curl floor (getRepo to a file
#                 plus every blob, 8 at a time, one curl with connections reused);
#   incremental   Stratos `backup run` after RECORDS_ADDED new records and BLOBS_ADDED new blobs,
#                 as a share of its own full backup's time and bytes;
#   recovery      Stratos `account recover --from-backup` onto PDS2  vs  the curl floor
#                 (createAccount with the same DID, importRepo of the CAR, the blob uploads 8 at
#                 a time);
#   peak RSS      of each Stratos run, at RECORDS and at --rss-records records.
# Every figure is a median over --runs; each contender backs up its own freshly generated
# account of the same size (the migration benchmark's generator: RECORDS records in four
# collections + BLOBS blobs, ~100 MB). Prints a table with the ratios.
#
#   scripts/bench-backup.sh [--runs N] [--records N] [--blobs N] [--rss-records N]
#
# Bytes: Stratos's are the new block and blob bytes its snapshot manifest records; the floor's are
# the files curl wrote.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/lib/testenv.sh

runs=3 records=10000 blobs=500 rss_records=1000 records_added=100 blobs_added=5
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --records) records=$2; shift 2 ;;
    --blobs) blobs=$2; shift 2 ;;
    --rss-records) rss_records=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--records N] [--blobs N] [--rss-records N]" >&2; exit 2 ;;
  esac
done
scripts/deps.sh bench
scripts/deps.sh --check bench

say() { echo "[bench] $*" >&2; }
node22=$(tests/network/setup.sh | tail -n1)
(cd bench/migrate && PATH="$(dirname "$node22"):$PATH" npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
say "building the release CLI"
cargo build --release -p stratos-cli >&2
stratos="${CARGO_TARGET_DIR:-$root/target}/release/stratos"

results=$(mktemp) # kind contender run ms bytes rss_kb records
echo "bench: raw results in $results" >&2
now_ms() { local t=$EPOCHREALTIME; echo $((${t/./} / 1000)); }

generate() { # LABEL RECORDS BLOBS -> $work/LABEL.json
  "$node22" bench/migrate/generate.mjs --pds "$pds1" --handle "$1.test" --email "$1@example.com" \
    --password "pw-$1" --records "$2" --blobs "$3" >"$work/$1.json"
}
did_of() { jq -r .did "$work/$1.json"; }
cleanup() { # LABEL: deletes the account on both PDSes (frees the disk)
  local did i
  did=$(did_of "$1")
  for i in 0 1; do
    curl -sS -u "admin:$(jq -r ".pds[$i].adminPassword" "$STRATOS_TESTNET_INFO")" -H 'content-type: application/json' \
      --data "{\"did\":\"$did\"}" "$(jq -r ".pds[$i].url" "$STRATOS_TESTNET_INFO")/xrpc/com.atproto.admin.deleteAccount" >/dev/null || true
  done
  rm -rf "${work:?}/$1".*
}
session() { # URL IDENTIFIER PASSWORD -> access JWT
  curl -sSf -H 'content-type: application/json' --data "{\"identifier\":\"$2\",\"password\":\"$3\"}" \
    "$1/xrpc/com.atproto.server.createSession" | jq -r .accessJwt
}
timed() { # KIND CONTENDER RUN RECORDS BYTES_CMD -- COMMAND... : times COMMAND (stdout to $work/out.json)
  local kind=$1 who=$2 run=$3 n=$4 bytes_cmd=$5 t0 t1
  shift 6
  t0=$(now_ms)
  /usr/bin/time -f %M -o "$work/rss" "$@" >"$work/out.json"
  t1=$(now_ms)
  echo "$kind $who $run $((t1 - t0)) $(eval "$bytes_cmd") $(tail -n1 "$work/rss") $n" | tee -a "$results" >&2
}

stratos_env() { # LABEL -> the environment of a Stratos of its own for LABEL
  echo env STRATOS_DATA_DIR="$work/$1.data" STRATOS_KEYRING_SERVICE="stratos-bench-$1" \
    STRATOS_PLC_URL="$plc" STRATOS_HANDLE_RESOLVER="$resolver"
}
manifest_bytes='jq "[.snapshots[] | .newBlockBytes + .newBlobBytes] | add" "$work/out.json"'

run_stratos() { # RUN LABEL RECORDS
  local run=$1 label=$2 n=$3 s key seen code
  read -ra s <<<"$(stratos_env "$label")"
  "${s[@]}" "$stratos" account login -u "$label.test" -p "pw-$label" >/dev/null
  # The person's own rotation key, first (what a recovery signs with); not timed.
  key=$("${s[@]}" "$stratos" key generate)
  seen=$(curl -sSf -G "$control/mail" --data-urlencode "to=$label@example.com" --data-urlencode "subject=PLC Update" | jq length)
  "${s[@]}" "$stratos" account plc add-rotation-key "$key" --first >/dev/null
  code=$(curl -sSf -G "$control/mail/wait" --data-urlencode "to=$label@example.com" --data-urlencode "subject=PLC Update" \
    --data-urlencode "after=$seen" --data-urlencode timeout_ms=30000 | jq -r .code)
  "${s[@]}" "$stratos" account plc add-rotation-key "$key" --first --token "$code" >/dev/null
  timed full stratos "$run" "$n" "$manifest_bytes" -- "${s[@]}" "$stratos" --json backup run --to "$work/$label.backup"
  "$node22" bench/backup/grow.mjs --pds "$pds1" --did "$(did_of "$label")" --password "pw-$label" \
    --records "$records_added" --blobs "$blobs_added" >/dev/null
  timed incremental stratos "$run" "$n" "$manifest_bytes" -- "${s[@]}" "$stratos" --json backup run --to "$work/$label.backup"
  timed recovery stratos "$run" "$n" "echo -" -- "${s[@]}" "$stratos" --json account recover --pds-host "$pds2" \
    --handle "$label.pds2.test" --email "$label-new@example.com" --password "pw-$label-new" \
    --from-backup "$work/$label.backup" --yes
  jq -e '.recovered == true' "$work/out.json" >/dev/null || { say "the recovery did not finish:"; cat "$work/out.json" >&2; return 1; }
}

run_floor() { # RUN LABEL RECORDS
  local run=$1 label=$2 n=$3 did dir
  did=$(did_of "$label") dir=$work/$label.floor
  mkdir -p "$dir/blobs"
  timed full floor "$run" "$n" "du -sb \"$dir\" | cut -f1" -- bench/backup/floor.sh download "$pds1" "$did" "$dir"
  timed recovery floor "$run" "$n" "echo -" -- bench/backup/floor.sh upload "$pds1" "$did" "$dir" "$pds2" \
    "$(session "$pds1" "$did" "pw-$label")" "$label.pds2.test" "$label-new@example.com" "pw-$label-new"
}

export HOME XDG_RUNTIME_DIR
run_dir=$(mktemp -d /tmp/stratos-bench.XXXXXX)
pids=()
trap stop_test_env EXIT
say "starting the network"
start_test_env "$node22"
work=$run_dir/work
mkdir -p "$work"
pds1=$(jq -r '.pds[0].url' "$STRATOS_TESTNET_INFO") pds2=$(jq -r '.pds[1].url' "$STRATOS_TESTNET_INFO")
plc=$(jq -r .plc "$STRATOS_TESTNET_INFO") control=$(jq -r .control "$STRATOS_TESTNET_INFO")
resolver=$(jq -r .resolver "$STRATOS_TESTNET_INFO")

# One unmeasured small round first: the servers' first downloads, imports and uploads pay for V8
# compiling their code, which would otherwise fall on whoever runs first.
say "warming the servers up"
generate kwarm 1000 50
run_floor 0 kwarm 1000 2>/dev/null
sed -i '/ floor 0 /d' "$results"
cleanup kwarm
for run in $(seq "$runs"); do
  order=(stratos floor)
  ((run % 2)) || order=(floor stratos)
  for contender in "${order[@]}"; do
    label="k${run}${contender:0:1}"
    say "run $run/$runs, $contender: generating $records records + $blobs blobs"
    generate "$label" "$records" "$blobs"
    "run_$contender" "$run" "$label" "$records"
    cleanup "$label"
  done
done
if [[ $rss_records -gt 0 ]]; then
  say "Stratos peak RSS at $rss_records records"
  generate ksmall "$rss_records" $((blobs * rss_records / records))
  run_stratos 1 ksmall "$rss_records"
  cleanup ksmall
fi

echo
echo "Backup benchmark: $records records + $blobs blobs per account (+$records_added records, +$blobs_added blobs before the incremental), median of $runs run(s), $(date -u +%Y-%m-%d)"
awk -v big="$records" '
  function median(key,   n, i, j, t, a) {
    n = split(vals[key], a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n ? (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2) : ""
  }
  {
    k = $1 SUBSEP $2 SUBSEP $7
    vals[k SUBSEP "t"] = vals[k SUBSEP "t"] " " $4
    if ($5 != "-") vals[k SUBSEP "b"] = vals[k SUBSEP "b"] " " $5
    vals[k SUBSEP "m"] = vals[k SUBSEP "m"] " " $6
    if ($2 == "stratos" && $7 != big) small = $7
  }
  END {
    t = "t"; b = "b"; m = "m"
    sf = median("full" SUBSEP "stratos" SUBSEP big SUBSEP t); ff = median("full" SUBSEP "floor" SUBSEP big SUBSEP t)
    sb = median("full" SUBSEP "stratos" SUBSEP big SUBSEP b); fb = median("full" SUBSEP "floor" SUBSEP big SUBSEP b)
    si = median("incremental" SUBSEP "stratos" SUBSEP big SUBSEP t); ib = median("incremental" SUBSEP "stratos" SUBSEP big SUBSEP b)
    sr = median("recovery" SUBSEP "stratos" SUBSEP big SUBSEP t); fr = median("recovery" SUBSEP "floor" SUBSEP big SUBSEP t)
    printf "%-12s %12s %12s %9s %14s %14s\n", "", "Stratos s", "floor s", "ratio", "Stratos MB", "floor MB"
    printf "%-12s %12.2f %12.2f %8.2fx %14.1f %14.1f   (target <= 1.1x)\n", "full backup", sf / 1000, ff / 1000, sf / ff, sb / 1048576, fb / 1048576
    printf "%-12s %12.2f %12s %8.1f%% %14.2f %13.2f%%   (target <= 5%% of the full backup, time and bytes)\n", "incremental", si / 1000, "-", 100 * si / sf, ib / 1048576, 100 * ib / sb
    printf "%-12s %12.2f %12.2f %8.2fx %14s %14s   (target <= 1.2x)\n", "recovery", sr / 1000, fr / 1000, sr / fr, "-", "-"
    printf "\nStratos peak RSS (MB) at %d records: full %.1f, incremental %.1f, recovery %.1f\n", big,
      median("full" SUBSEP "stratos" SUBSEP big SUBSEP m) / 1024, median("incremental" SUBSEP "stratos" SUBSEP big SUBSEP m) / 1024, median("recovery" SUBSEP "stratos" SUBSEP big SUBSEP m) / 1024
    if (small != "") {
      printf "Stratos peak RSS (MB) at %d records: full %.1f, incremental %.1f, recovery %.1f (target: under 40 MB, growing under 20 MB)\n", small,
        median("full" SUBSEP "stratos" SUBSEP small SUBSEP m) / 1024, median("incremental" SUBSEP "stratos" SUBSEP small SUBSEP m) / 1024, median("recovery" SUBSEP "stratos" SUBSEP small SUBSEP m) / 1024
    }
  }' "$results"
