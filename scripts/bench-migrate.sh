#!/usr/bin/env bash
# Migration benchmark (not a test): Stratos against (a) the @atproto/api reference flow of the
# official migration guide (one blob at a time) and (b) the raw curl transfer floor, on the local
# test network, on plain loopback and with added round-trip time to each PDS. Every contender
# migrates its own freshly generated account (RECORDS records + BLOBS blobs, ~100 MB) from PDS1
# to PDS2 and is verified afterwards. Prints a table of medians with ratios.
#
#   scripts/bench-migrate.sh [--runs N] [--records N] [--blobs N] [--latencies "0 40"]
#                            [--rss-records N] [--concurrency N] [--contenders "stratos reference floor"]
#
# --runs       repetitions per contender and condition (median reported; default 3)
# --latencies  added RTT in ms per condition, 0 = plain loopback (default "0 40")
# --rss-records  the smaller account for Stratos's peak-RSS growth check (default 1000; 0 = skip)
# --contenders   which of stratos, reference, floor to run (default all three; a ratio needs both sides)
#
# What is timed (see docs/benchmarks.md, "Migration benchmark"):
#   transfer = create the account on PDS2 + repository + blobs, for all three;
#   total    = the whole flow until the old account is deactivated, for (a) and Stratos
#              (Stratos: both CLI runs and the wait for the mailed PLC code in between).
# Peak RSS: /usr/bin/time's maximum resident set size of the migrating process (for the curl
# floor: the largest of its curl/jq processes).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/lib/testenv.sh

runs=3 records=10000 blobs=500 latencies="0 40" rss_records=1000 concurrency= contenders="stratos reference floor"
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --records) records=$2; shift 2 ;;
    --blobs) blobs=$2; shift 2 ;;
    --latencies) latencies=$2; shift 2 ;;
    --rss-records) rss_records=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --contenders) contenders=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--records N] [--blobs N] [--latencies \"0 40\"] [--rss-records N] [--concurrency N] [--contenders \"stratos reference floor\"]" >&2; exit 2 ;;
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
bench=$root/bench/migrate

results=$(mktemp)  # condition contender run transfer_ms total_ms rss_kb records
echo "bench: raw results in $results" >&2

now_ms() { local t=$EPOCHREALTIME; echo $((${t/./} / 1000)); }

# generate LABEL RECORDS -> writes $work/LABEL.json
generate() { # LABEL RECORDS [BLOBS]
  "$node22" "$bench/generate.mjs" --pds "$pds1" --handle "$1.test" --email "$1@example.com" \
    --password "pw-$1-source" --records "$2" --blobs "${3:-$blobs}" >"$work/$1.json"
}

# cleanup LABEL: deletes the account on both PDSes (frees the disk)
cleanup() {
  local did
  did=$(jq -r .did "$work/$1.json")
  for i in 0 1; do
    curl -sS -u "admin:$(jq -r ".pds[$i].adminPassword" "$STRATOS_TESTNET_INFO")" -H 'content-type: application/json' \
      --data "{\"did\":\"$did\"}" "$(jq -r ".pds[$i].url" "$STRATOS_TESTNET_INFO")/xrpc/com.atproto.admin.deleteAccount" >/dev/null || true
  done
}

verify() { # LABEL [--full]
  local out
  out=$("$node22" "$bench/verify.mjs" --expect "$work/$1.json" --new "$pds2" --new-password "pw-$1-new" \
    ${2:+--full --plc "$plc" --old "$pds1"})
  say "  verified: $out"
}

plc_code() { # EMAIL: the first PLC code mailed to it
  curl -sSf -G "$control/mail/wait" --data-urlencode "to=$1" --data-urlencode "subject=PLC Update" \
    --data-urlencode after=0 --data-urlencode timeout_ms=30000 | jq -r .code
}

run_stratos() { # CONDITION RUN LABEL RECORDS
  local cond=$1 run=$2 label=$3 n=$4 t0 t_blobs t_end rss1 rss2 code
  local env=(env STRATOS_DATA_DIR="$work/$label-data" STRATOS_KEYRING_SERVICE="stratos-bench-$label"
    STRATOS_PLC_URL="$plc" STRATOS_HANDLE_RESOLVER="$resolver")
  "${env[@]}" "$stratos" account login -u "$label.test" -p "pw-$label-source" >/dev/null
  t0=$(now_ms)
  # Progress lines (stderr, one per event) are stamped as they come, to time the transfer.
  "${env[@]}" /usr/bin/time -f %M -o "$work/$label.rss1" "$stratos" account migrate \
    --pds-host "$pds2" --new-handle "$label.pds2.test" --new-email "$label-new@example.com" \
    --new-password "pw-$label-new" ${concurrency:+--concurrency "$concurrency"} \
    2> >(while IFS= read -r line; do echo "$(now_ms) $line"; done >"$work/$label.log") >/dev/null || true
  code=$(plc_code "$label@example.com")
  "${env[@]}" /usr/bin/time -f %M -o "$work/$label.rss2" "$stratos" account migrate --resume \
    --new-password "pw-$label-new" --plc-token "$code" --yes >/dev/null 2>>"$work/$label.log2"
  t_end=$(now_ms)
  sleep 0.2 # let the stamping reader finish
  grep -q 'plc_token_needed\|PLC' "$work/$label.log" || { say "stratos did not stop for the PLC code:"; tail "$work/$label.log" >&2; return 1; }
  t_blobs=$(awk '/\[migrate\] done blobs/ {print $1; exit}' "$work/$label.log")
  [[ -n $t_blobs ]] || { say "no 'done blobs' line:"; tail "$work/$label.log" >&2; return 1; }
  rss1=$(tail -n1 "$work/$label.rss1") rss2=$(tail -n1 "$work/$label.rss2")
  # Where the transfer's time went: each step of the first CLI run, from its stamped lines.
  say "  stratos steps (s): $(awk -v t0="$t0" '/\[migrate\] started / { s[$4] = $1; o[++n] = $4 }
    /\[migrate\] done / { d[$4] = $1 } END { p = t0; for (i = 1; i <= n; i++) if (o[i] in d) {
    printf "%s%s %.2f (gap %.2f)", (i > 1 ? ", " : ""), o[i], (d[o[i]] - s[o[i]]) / 1000, (s[o[i]] - p) / 1000; p = d[o[i]] } }' "$work/$label.log")"
  echo "$cond stratos $run $((t_blobs - t0)) $((t_end - t0)) $((rss1 > rss2 ? rss1 : rss2)) $n" >>"$results"
}

run_reference() { # CONDITION RUN LABEL
  local cond=$1 run=$2 label=$3 t0 t_end marks
  t0=$(now_ms)
  marks=$(/usr/bin/time -f %M -o "$work/$label.rss" "$node22" "$bench/reference.mjs" --old "$pds1" --new "$pds2" \
    --did "$(jq -r .did "$work/$label.json")" --password "pw-$label-source" --handle "$label.pds2.test" \
    --email "$label-new@example.com" --new-password "pw-$label-new" --control "$control" --old-email "$label@example.com")
  t_end=$(now_ms)
  echo "$cond reference $run $(jq .ms.blobs <<<"$marks") $((t_end - t0)) $(tail -n1 "$work/$label.rss") $records" >>"$results"
}

run_floor() { # CONDITION RUN LABEL
  local cond=$1 run=$2 label=$3 did token marks
  did=$(jq -r .did "$work/$label.json")
  token=$(curl -sSf -H 'content-type: application/json' --data "{\"identifier\":\"$did\",\"password\":\"pw-$label-source\"}" \
    "$pds1/xrpc/com.atproto.server.createSession" | jq -r .accessJwt)
  marks=$(/usr/bin/time -f %M -o "$work/$label.rss" "$bench/floor.sh" "$pds1" "$pds2" "$did" "$token" \
    "$label.pds2.test" "$label-new@example.com" "pw-$label-new")
  say "  floor phases (s, cumulative): $(jq -r '.ms | "create \(.create / 1000), repo \(.repo / 1000), blobs \(.blobs / 1000)"' <<<"$marks")"
  echo "$cond floor $run $(jq .ms.blobs <<<"$marks") - $(tail -n1 "$work/$label.rss") $records" >>"$results"
}

home0=$HOME xdg0=${XDG_RUNTIME_DIR:-}
for lat in $latencies; do
  export HOME=$home0 XDG_RUNTIME_DIR=$xdg0 # start_test_env points them into its run_dir
  run_dir=$(mktemp -d /tmp/stratos-bench.XXXXXX)
  pids=()
  trap stop_test_env EXIT
  say "condition: +$lat ms RTT; starting the network"
  start_test_env "$node22" --latency-ms "$lat"
  work=$run_dir/work
  mkdir -p "$work"
  pds1=$(jq -r '.pds[0].url' "$STRATOS_TESTNET_INFO") pds2=$(jq -r '.pds[1].url' "$STRATOS_TESTNET_INFO")
  plc=$(jq -r .plc "$STRATOS_TESTNET_INFO") control=$(jq -r .control "$STRATOS_TESTNET_INFO")
  resolver=$(jq -r .resolver "$STRATOS_TESTNET_INFO")
  # One unmeasured small migration first: the servers' first import, uploads and downloads pay
  # for V8 compiling their code, which would otherwise fall on whoever runs first.
  say "warming the servers up"
  generate "b${lat}warm" 1000 50
  run_floor warm 0 "b${lat}warm"
  cleanup "b${lat}warm"
  read -ra order <<<"$contenders"
  for run in $(seq "$runs"); do
    # Each run starts with the next contender, so none always goes first (or last) on servers that
    # fill up as the runs go on.
    for contender in "${order[@]:$(((run - 1) % ${#order[@]}))}" "${order[@]:0:$(((run - 1) % ${#order[@]}))}"; do
      label="b${lat}${contender:0:1}${run}"
      say "run $run/$runs, $contender: generating $records records + $blobs blobs"
      generate "$label" "$records"
      say "  migrating"
      "run_$contender" "$lat" "$run" "$label" "$records"
      tail -n1 "$results" >&2
      if [[ $contender == floor ]]; then verify "$label"; else verify "$label" full; fi
      cleanup "$label"
    done
  done
  if [[ $lat == 0 && $rss_records -gt 0 ]]; then
    label="b0small"
    say "Stratos peak RSS at $rss_records records"
    generate "$label" "$rss_records"
    run_stratos rss 1 "$label" "$rss_records"
    tail -n1 "$results" >&2
    verify "$label" full
    cleanup "$label"
  fi
  stop_test_env
  trap - EXIT
done

# The table: medians per contender and condition, ratios against (b) and (a).
echo
echo "Migration benchmark: $records records + $blobs blobs per account, median of $runs run(s), $(date -u +%Y-%m-%d)"
awk -v lats="$latencies" '
  function median(key,   n, i, j, t, a) {
    n = split(vals[key], a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n ? (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2) : ""
  }
  $1 != "rss" && $1 != "warm" {
    k = $1 SUBSEP $2
    vals[k SUBSEP "t"] = vals[k SUBSEP "t"] " " $4
    if ($5 != "-") vals[k SUBSEP "T"] = vals[k SUBSEP "T"] " " $5
    vals[k SUBSEP "m"] = vals[k SUBSEP "m"] " " $6
  }
  $1 == "rss" { small = $6; smalln = $7 }
  $1 == 0 && $2 == "stratos" { big = (big > $6 ? big : $6); bign = $7 }
  END {
    printf "%-12s %-22s %11s %9s %9s %11s %9s %10s\n", "condition", "contender", "transfer s", "vs (b)", "vs (a)", "total s", "vs (a)", "peak RSS"
    name["floor"] = "(b) curl floor"; name["reference"] = "(a) @atproto/api"; name["stratos"] = "Stratos"
    n = split(lats, L, " ")
    for (i = 1; i <= n; i++) {
      c = L[i]
      fb = median(c SUBSEP "floor" SUBSEP "t"); ra = median(c SUBSEP "reference" SUBSEP "t"); RA = median(c SUBSEP "reference" SUBSEP "T")
      split("floor reference stratos", C, " ")
      for (j = 1; j <= 3; j++) {
        k = c SUBSEP C[j]
        t = median(k SUBSEP "t"); T = median(k SUBSEP "T"); m = median(k SUBSEP "m")
        if (t == "") continue
        printf "%-12s %-22s %11.1f %9s %9s %11s %9s %8.0f MB\n", (c == 0 ? "loopback" : "+" c " ms RTT"), name[C[j]], t / 1000,
          (fb ? sprintf("%.2fx", t / fb) : "-"), (ra ? sprintf("%.2fx", t / ra) : "-"), (T == "" ? "-" : sprintf("%.1f", T / 1000)), (T == "" || !RA ? "-" : sprintf("%.2fx", T / RA)), m / 1024
      }
    }
    if (small != "") printf "\nStratos peak RSS: %.1f MB at %d records, %.1f MB at %d records (growth %.1f MB)\n", small / 1024, smalln, big / 1024, bign, (big - small) / 1024
  }' "$results"
echo "(transfer = account creation + repository + blobs; total = until the old account is deactivated; vs = ratio of medians, lower is faster)"
