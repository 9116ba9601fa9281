#!/usr/bin/env node
// Checks one benchmark migration on the new PDS: records per collection equal to what the
// generator wrote (counted in the new PDS's getRepo CAR, as the account may still be
// deactivated there, when listRecords refuses), importedBlobs == expectedBlobs == the blobs
// written, no missing blob; with --full also that PLC names the new PDS and the old account is
// deactivated.
//
// Usage: node verify.mjs --expect GENERATED.json --new URL --new-password PW [--full --plc URL --old URL]
// Prints "ok: ..." or the first differences, and exits non-zero on any.
import fs from 'node:fs'
import { MemoryBlockstore, Repo, readCarWithRoot } from '@atproto/repo'

const args = {}
const argv = process.argv.slice(2)
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--full') args.full = true
  else args[argv[i].slice(2)] = argv[++i]
}
const expect = JSON.parse(fs.readFileSync(args.expect, 'utf8'))
const pds = args.new.replace(/\/$/, '')

async function xrpc(base, nsid, { query, body, token } = {}) {
  const url = new URL(`${base}/xrpc/${nsid}`)
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v)
  const headers = token ? { authorization: `Bearer ${token}` } : {}
  if (body) headers['content-type'] = 'application/json'
  const res = await fetch(url, { method: body ? 'POST' : 'GET', headers, body: body && JSON.stringify(body), signal: AbortSignal.timeout(60_000) })
  const out = await res.json()
  if (!res.ok) throw new Error(`${nsid}: ${res.status} ${JSON.stringify(out)}`)
  return out
}

const problems = []
const session = await xrpc(pds, 'com.atproto.server.createSession', { body: { identifier: expect.did, password: args['new-password'] } })
const token = session.accessJwt
const status = await xrpc(pds, 'com.atproto.server.checkAccountStatus', { token })
if (status.expectedBlobs !== expect.blobs || status.importedBlobs !== expect.blobs) {
  problems.push(`blobs: expected ${expect.blobs}, new PDS expects ${status.expectedBlobs} and holds ${status.importedBlobs}`)
}
const missing = await xrpc(pds, 'com.atproto.repo.listMissingBlobs', { token, query: { limit: 1000 } })
if (missing.blobs.length) problems.push(`${missing.blobs.length} blobs missing`)
const car = await fetch(`${pds}/xrpc/com.atproto.sync.getRepo?did=${encodeURIComponent(expect.did)}`, {
  headers: { authorization: `Bearer ${token}` },
  signal: AbortSignal.timeout(120_000),
})
if (!car.ok) throw new Error(`getRepo: ${car.status} ${await car.text()}`)
const { root, blocks } = await readCarWithRoot(new Uint8Array(await car.arrayBuffer()))
const repo = await Repo.load(new MemoryBlockstore(blocks), root)
const counted = {}
for await (const { collection } of repo.walkRecords()) counted[collection] = (counted[collection] ?? 0) + 1
for (const [collection, n] of Object.entries(expect.records)) {
  if (counted[collection] !== n) problems.push(`${collection}: ${counted[collection]} records, expected ${n}`)
}
if (args.full) {
  const data = await (await fetch(`${args.plc}/${expect.did}/data`)).json()
  const endpoint = String(data?.services?.atproto_pds?.endpoint ?? '').replace(/\/$/, '')
  if (endpoint !== pds) problems.push(`PLC names ${endpoint}, not ${pds}`)
  if (!status.activated) problems.push('the new account is not active')
  const old = await xrpc(args.old.replace(/\/$/, ''), 'com.atproto.sync.getRepoStatus', { query: { did: expect.did } })
  if (old.active) problems.push('the old account is still active')
}
if (problems.length) {
  console.log(`FAILED: ${problems.join('; ')}`)
  process.exit(1)
}
const total = Object.values(counted).reduce((a, b) => a + b, 0)
console.log(`ok: ${total} records in ${Object.keys(counted).length} collections, ${status.importedBlobs}/${status.expectedBlobs} blobs, 0 missing${args.full ? ', PLC -> new PDS, old deactivated' : ''}`)
