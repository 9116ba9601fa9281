#!/usr/bin/env bash
# The curl floor of the backup benchmark: only the transfers any backup or recovery must make,
# with no checks and no journal. A blob the server fails is tried again (curl --retry 3), as
# Stratos does: the reference PDS answers 500 now and then under 8 transfers at once.
#
#   floor.sh download PDS DID DIR
#       getRepo to DIR/repo.car, then every blob (listBlobs, paged) into DIR/blobs, 8 at a time
#       by one curl with its connections reused.
#   floor.sh upload OLD_PDS DID DIR NEW_PDS OLD_ACCESS_JWT HANDLE EMAIL PASSWORD
#       createAccount on NEW_PDS with the same DID (service auth from the old PDS, which a real
#       recovery signs offline instead), importRepo of DIR/repo.car, then every blob of DIR/blobs
#       uploaded 8 at a time.
set -euo pipefail
trap 'echo "floor.sh $mode: failed at line $LINENO" >&2' ERR
mode=$1
case $mode in
  download)
    pds=$2 did=$3 dir=$4
    curl -sSf "$pds/xrpc/com.atproto.sync.getRepo?did=$did" -o "$dir/repo.car"
    cursor=
    : >"$dir/cids"
    while :; do
      page=$(curl -sSf "$pds/xrpc/com.atproto.sync.listBlobs?did=$did&limit=1000${cursor:+&cursor=$cursor}")
      jq -r '.cids[]' <<<"$page" >>"$dir/cids"
      cursor=$(jq -r '.cursor // empty' <<<"$page")
      [[ $(jq '.cids | length' <<<"$page") -gt 0 && -n $cursor ]] || break
    done
    sep=
    : >"$dir/get.cfg"
    while read -r cid; do
      printf '%surl = "%s"\noutput = "%s"\nfail\nsilent\nshow-error\n' "$sep" \
        "$pds/xrpc/com.atproto.sync.getBlob?did=$did&cid=$cid" "$dir/blobs/$cid" >>"$dir/get.cfg"
      sep=$'next\n'
    done <"$dir/cids"
    [[ -s $dir/cids ]] && curl -sS --no-progress-meter --retry 3 --retry-all-errors --retry-delay 1 --parallel --parallel-max 8 -K "$dir/get.cfg"
    rm -f "$dir/get.cfg" "$dir/cids"
    echo '{}'
    ;;
  upload)
    old=$2 did=$3 dir=$4 new=$5 old_token=$6 handle=$7 email=$8 password=$9
    new_did=$(curl -sSf "$new/xrpc/com.atproto.server.describeServer" | jq -r .did)
    service_jwt=$(curl -sSf -G -H "authorization: Bearer $old_token" --data-urlencode "aud=$new_did" \
      "$old/xrpc/com.atproto.server.getServiceAuth?lxm=com.atproto.server.createAccount" | jq -r .token)
    token=$(jq -cn --arg h "$handle" --arg e "$email" --arg p "$password" --arg d "$did" '{handle:$h,email:$e,password:$p,did:$d}' |
      curl -sSf -H "authorization: Bearer $service_jwt" -H 'content-type: application/json' --data-binary @- \
        "$new/xrpc/com.atproto.server.createAccount" | jq -r .accessJwt)
    curl -sSf -X POST -T "$dir/repo.car" -H "authorization: Bearer $token" -H 'content-type: application/vnd.ipld.car' \
      "$new/xrpc/com.atproto.repo.importRepo" -o /dev/null
    cfg=$(mktemp)
    trap 'rm -f "$cfg"' EXIT
    sep=
    for f in "$dir"/blobs/*; do
      [[ -e $f ]] || continue
      printf '%surl = "%s"\nheader = "authorization: Bearer %s"\nheader = "content-type: application/octet-stream"\ndata-binary = "@%s"\noutput = "/dev/null"\nfail\nsilent\nshow-error\n' "$sep" \
        "$new/xrpc/com.atproto.repo.uploadBlob" "$token" "$f" >>"$cfg"
      sep=$'next\n'
    done
    [[ -s $cfg ]] && curl -sS --no-progress-meter --retry 3 --retry-all-errors --retry-delay 1 --parallel --parallel-max 8 -K "$cfg"
    echo '{}'
    ;;
  *) echo "usage: floor.sh download|upload …" >&2; exit 2 ;;
esac
