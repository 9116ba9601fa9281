#!/usr/bin/env bash
# Baseline (b): the raw transfer floor with curl. With a session on the old PDS made before
# (as Stratos has its stored login), it does only what any migration must: service auth +
# createAccount on the new PDS, getRepo piped into importRepo, then the missing blobs 8 at a
# time: one curl downloads them all (--parallel, connections reused), then one uploads them all
# the same way. That beat one getBlob|uploadBlob pipeline per blob (xargs -P 8), which pays two
# new connections and three processes per blob. No preferences, no identity change, no retries.
#
# Usage: floor.sh OLD_URL NEW_URL DID OLD_ACCESS_JWT NEW_HANDLE NEW_EMAIL NEW_PASSWORD
# Prints one JSON line: milliseconds since start at the end of each phase.
set -euo pipefail
old=$1 new=$2 did=$3 old_token=$4 handle=$5 email=$6 password=$7
ms() { echo $(($(date +%s%N) / 1000000)); }
t0=$(ms)

new_did=$(curl -sSf "$new/xrpc/com.atproto.server.describeServer" | jq -r .did)
service_jwt=$(curl -sSf -G -H "authorization: Bearer $old_token" --data-urlencode "aud=$new_did" \
  "$old/xrpc/com.atproto.server.getServiceAuth?lxm=com.atproto.server.createAccount" | jq -r .token)
token=$(jq -cn --arg h "$handle" --arg e "$email" --arg p "$password" --arg d "$did" '{handle:$h,email:$e,password:$p,did:$d}' |
  curl -sSf -H "authorization: Bearer $service_jwt" -H 'content-type: application/json' --data-binary @- \
    "$new/xrpc/com.atproto.server.createAccount" | jq -r .accessJwt)
t_create=$(ms)

curl -sSf "$old/xrpc/com.atproto.sync.getRepo?did=$did" |
  curl -sSf -X POST -T - -H "authorization: Bearer $token" -H 'content-type: application/vnd.ipld.car' \
    "$new/xrpc/com.atproto.repo.importRepo" -o /dev/null
t_repo=$(ms)

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cursor=
while :; do
  page=$(curl -sSf -H "authorization: Bearer $token" \
    "$new/xrpc/com.atproto.repo.listMissingBlobs?limit=1000${cursor:+&cursor=$cursor}")
  n=$(jq '.blobs | length' <<<"$page")
  jq -r '.blobs[].cid' <<<"$page" >>"$dir/cids"
  cursor=$(jq -r '.cursor // empty' <<<"$page")
  [[ $n -gt 0 && -n $cursor ]] || break
done
sep=
while read -r cid; do
  printf '%surl = "%s"\noutput = "%s"\nfail\nsilent\nshow-error\n' "$sep" \
    "$old/xrpc/com.atproto.sync.getBlob?did=$did&cid=$cid" "$dir/$cid" >>"$dir/get.cfg"
  printf '%surl = "%s"\nheader = "authorization: Bearer %s"\nheader = "content-type: application/octet-stream"\ndata-binary = "@%s"\noutput = "/dev/null"\nfail\nsilent\nshow-error\n' "$sep" \
    "$new/xrpc/com.atproto.repo.uploadBlob" "$token" "$dir/$cid" >>"$dir/put.cfg"
  sep=$'next\n'
done <"$dir/cids"
if [[ -s $dir/cids ]]; then
  curl -sS --no-progress-meter --parallel --parallel-max 8 -K "$dir/get.cfg"
  curl -sS --no-progress-meter --parallel --parallel-max 8 -K "$dir/put.cfg"
fi
t_blobs=$(ms)
echo "{\"blobs\":$(wc -l <"$dir/cids"),\"ms\":{\"create\":$((t_create - t0)),\"repo\":$((t_repo - t0)),\"blobs\":$((t_blobs - t0))}}"
