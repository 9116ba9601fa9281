// Fills one account of the demo network (scripts/run.sh --demo) with something to look at: a
// profile with an avatar, posts, and a gallery of blobs. Only XRPC calls the reference PDS
// takes from any client; Stratos itself has no verb for writing records.
//   node demo-records.mjs <pds-url> <handle> <password> <display name> <control-url>
const [pds, handle, password, name, control] = process.argv.slice(2)
if (!control) {
  console.error('usage: demo-records.mjs PDS HANDLE PASSWORD NAME CONTROL')
  process.exit(2)
}

async function xrpc(nsid, { body, token, type = 'application/json' } = {}) {
  const res = await fetch(`${pds}/xrpc/${nsid}`, {
    method: 'POST',
    headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: type === 'application/json' ? JSON.stringify(body) : body,
    signal: AbortSignal.timeout(30_000),
  })
  const out = await res.json()
  if (!res.ok) throw new Error(`${nsid}: ${res.status} ${JSON.stringify(out)}`)
  return out
}

const session = await xrpc('com.atproto.server.createSession', {
  body: { identifier: handle, password },
})
const token = session.accessJwt
const repo = session.did
const put = (collection, record, rkey) =>
  xrpc(rkey ? 'com.atproto.repo.putRecord' : 'com.atproto.repo.createRecord', {
    token,
    body: { repo, collection, rkey, record: { $type: collection, ...record }, validate: false },
  })

// The network's 32×32 logo as the avatar.
const logo = await fetch(`${control}/image?kind=png`, { signal: AbortSignal.timeout(30_000) })
const avatar = (await xrpc('com.atproto.repo.uploadBlob', {
  token,
  type: 'image/png',
  body: Buffer.from(await logo.arrayBuffer()),
})).blob
await put('app.bsky.actor.profile', { displayName: name, description: `${name}'s demo account`, avatar }, 'self')

const now = Date.now()
for (let i = 0; i < 24; i++) {
  const createdAt = new Date(now - i * 3_600_000).toISOString()
  await put('app.bsky.feed.post', { text: `${name}'s post #${24 - i}`, createdAt })
}
for (let i = 0; i < 3; i++) {
  const bytes = Buffer.alloc(20_000 + i * 15_000, `${handle}-${i}`)
  const blob = (await xrpc('com.atproto.repo.uploadBlob', {
    token,
    type: 'application/octet-stream',
    body: bytes,
  })).blob
  await put('com.example.gallery', { title: `file ${i + 1}`, files: [blob] })
}
console.log(JSON.stringify({ did: repo, records: 28, blobs: 4 }))
