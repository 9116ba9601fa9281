#!/usr/bin/env node
// Makes one benchmark account on a PDS and fills it: RECORDS plain records over three
// collections (applyWrites, 200 per call), BLOBS blobs (uploaded 8 at a time), each referenced
// by its own gallery record, and preferences. Sizes are deterministic: every tenth blob is
// 1.1–2.5 MB, the others 2–38 KB (500 blobs: ~98 MiB). Contents differ per blob (a seeded
// xorshift), so no two blobs share a CID.
//
// Usage: node generate.mjs --pds URL --handle H --email E --password P [--records N] [--blobs M]
// Prints one JSON line: {did, handle, email, password, records: {collection: n}, blobs, bytes}.

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
)
const pds = String(args.pds ?? '').replace(/\/$/, '')
const RECORDS = Number(args.records ?? 10_000)
const BLOBS = Number(args.blobs ?? 500)
const UPLOADS_AT_ONCE = 8
if (!pds || !args.handle || !args.email || !args.password) {
  console.error('usage: generate.mjs --pds URL --handle H --email E --password P [--records N] [--blobs M]')
  process.exit(2)
}

async function xrpc(method, nsid, { body, token, type = 'application/json', query } = {}) {
  const url = new URL(`${pds}/xrpc/${nsid}`)
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v)
  const headers = {}
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = type
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : type === 'application/json' ? JSON.stringify(body) : body,
    signal: AbortSignal.timeout(120_000),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${nsid}: ${res.status} ${text.slice(0, 300)}`)
  return text ? JSON.parse(text) : {}
}

/** Size of blob `i`: every tenth is over a megabyte. */
export function blobSize(i) {
  return i % 10 === 9 ? 1_100_000 + ((i * 337_541) % 1_400_000) : 2_000 + ((i * 7_919) % 36_000)
}

function blobBytes(i) {
  const len = blobSize(i)
  const words = new Uint32Array(Math.ceil(len / 4))
  let x = (0x9e3779b9 ^ (i * 2_654_435_761)) >>> 0 || 1
  for (let k = 0; k < words.length; k++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    words[k] = x
  }
  return Buffer.from(words.buffer, 0, len)
}

const account = await xrpc('POST', 'com.atproto.server.createAccount', {
  body: { handle: args.handle, email: args.email, password: args.password },
})
const token = account.accessJwt
const did = account.did
const collections = ['app.bsky.feed.post', 'com.example.note', 'com.example.bookmark']
const records = {}
const writes = []
for (let i = 0; i < RECORDS; i++) {
  const collection = collections[i % collections.length]
  records[collection] = (records[collection] ?? 0) + 1
  const value =
    collection === 'app.bsky.feed.post'
      ? { $type: collection, text: `post ${i}: ${'lorem ipsum '.repeat(i % 8)}`, createdAt: '2026-01-01T00:00:00Z' }
      : { $type: collection, n: i, title: `item ${i}` }
  writes.push({ $type: 'com.atproto.repo.applyWrites#create', collection, value })
}
const applyAll = async (all) => {
  for (let k = 0; k < all.length; k += 200) {
    await xrpc('POST', 'com.atproto.repo.applyWrites', { token, body: { repo: did, validate: false, writes: all.slice(k, k + 200) } })
  }
}
await applyAll(writes)

const refs = new Array(BLOBS)
let bytes = 0
let next = 0
await Promise.all(
  Array.from({ length: UPLOADS_AT_ONCE }, async () => {
    while (next < BLOBS) {
      const i = next++
      const data = blobBytes(i)
      bytes += data.length
      const type = i % 2 === 0 ? 'image/png' : 'application/octet-stream'
      refs[i] = (await xrpc('POST', 'com.atproto.repo.uploadBlob', { token, body: data, type })).blob
    }
  }),
)
await applyAll(
  refs.map((blob, n) => ({
    $type: 'com.atproto.repo.applyWrites#create',
    collection: 'com.example.gallery',
    value: { $type: 'com.example.gallery', files: [blob], n },
  })),
)
if (BLOBS > 0) records['com.example.gallery'] = BLOBS
await xrpc('POST', 'app.bsky.actor.putPreferences', {
  token,
  body: { preferences: [{ $type: 'app.bsky.actor.defs#adultContentPref', enabled: true }] },
})
console.log(JSON.stringify({ did, handle: account.handle, email: args.email, password: args.password, records, blobs: BLOBS, bytes }))
