// Grows an account the way a person's does between two backups: N new posts and M new blobs
// (each in a new gallery record), for the incremental backup's figures.
// Usage: node grow.mjs --pds URL --did DID --password P [--records 100] [--blobs 5]
import { randomBytes } from 'node:crypto'

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
)
const pds = String(args.pds ?? '').replace(/\/$/, '')
if (!pds || !args.did || !args.password) {
  console.error('usage: grow.mjs --pds URL --did DID --password P [--records N] [--blobs M]')
  process.exit(2)
}
const RECORDS = Number(args.records ?? 100)
const BLOBS = Number(args.blobs ?? 5)

async function xrpc(nsid, { body, token, type = 'application/json' }) {
  const headers = { 'content-type': type }
  if (token) headers.authorization = `Bearer ${token}`
  const res = await fetch(`${pds}/xrpc/${nsid}`, {
    method: 'POST',
    headers,
    body: type === 'application/json' ? JSON.stringify(body) : body,
    signal: AbortSignal.timeout(120_000),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${nsid}: ${res.status} ${text.slice(0, 300)}`)
  return JSON.parse(text)
}

const { accessJwt: token } = await xrpc('com.atproto.server.createSession', { body: { identifier: args.did, password: args.password } })
const writes = []
for (let i = 0; i < RECORDS; i++) {
  writes.push({
    $type: 'com.atproto.repo.applyWrites#create',
    collection: 'app.bsky.feed.post',
    value: { $type: 'app.bsky.feed.post', text: `new post ${i}`, createdAt: new Date().toISOString() },
  })
}
let bytes = 0
for (let i = 0; i < BLOBS; i++) {
  const data = randomBytes(20_000 + i * 1_000)
  bytes += data.length
  const { blob } = await xrpc('com.atproto.repo.uploadBlob', { token, body: data, type: 'application/octet-stream' })
  writes.push({ $type: 'com.atproto.repo.applyWrites#create', collection: 'com.example.gallery', value: { $type: 'com.example.gallery', files: [blob], n: -1 - i } })
}
await xrpc('com.atproto.repo.applyWrites', { token, body: { repo: args.did, validate: false, writes } })
console.log(JSON.stringify({ records: RECORDS, blobs: BLOBS, bytes }))
