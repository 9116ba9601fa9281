#!/usr/bin/env node
// Baseline (a): the reference account migration written with @atproto/api, in the order of the
// official "Account Migration" guide: service auth + createAccount on the new PDS, getRepo ->
// importRepo, the missing blobs one at a time (getBlob, then uploadBlob), preferences, the PLC
// operation (getRecommendedDidCredentials, requestPlcOperationSignature, signPlcOperation with
// the emailed code, submitPlcOperation), activate the new account, deactivate the old one.
//
// Usage: node reference.mjs --old URL --new URL --did DID --password OLD_PW --handle NEW_HANDLE
//          --email NEW_EMAIL --new-password PW --control URL --old-email OLD_EMAIL
// The emailed PLC code (the first PLC mail to OLD_EMAIL) is read from the test network's mail
// capture (--control).
// Prints one JSON line: milliseconds since start at the end of each phase.
import { AtpAgent } from '@atproto/api'

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
)
const t0 = performance.now()
const marks = {}
const mark = (name) => (marks[name] = Math.round(performance.now() - t0))

const oldAgent = new AtpAgent({ service: args.old })
const newAgent = new AtpAgent({ service: args.new })
await oldAgent.login({ identifier: args.did, password: args.password })
const did = oldAgent.session.did

// 1. The account on the new PDS, with the same DID (service auth from the old one).
const describeRes = await newAgent.com.atproto.server.describeServer()
const newServerDid = describeRes.data.did
const serviceJwtRes = await oldAgent.com.atproto.server.getServiceAuth({
  aud: newServerDid,
  lxm: 'com.atproto.server.createAccount',
})
await newAgent.com.atproto.server.createAccount(
  { handle: args.handle, email: args.email, password: args['new-password'], did },
  { headers: { authorization: `Bearer ${serviceJwtRes.data.token}` }, encoding: 'application/json' },
)
await newAgent.login({ identifier: did, password: args['new-password'] })
// The session's DID document still names the old PDS, and the agent would follow it; the guide
// assumes calls stay on the new one.
newAgent.sessionManager.pdsUrl = undefined
mark('create')

// 2. The repository.
const repoRes = await oldAgent.com.atproto.sync.getRepo({ did })
await newAgent.com.atproto.repo.importRepo(repoRes.data, { encoding: 'application/vnd.ipld.car' })
mark('repo')

// 3. The blobs, one at a time.
let cursor
let copied = 0
do {
  const missing = await newAgent.com.atproto.repo.listMissingBlobs({ cursor, limit: 100 })
  for (const { cid } of missing.data.blobs) {
    const blobRes = await oldAgent.com.atproto.sync.getBlob({ did, cid })
    await newAgent.com.atproto.repo.uploadBlob(blobRes.data, { encoding: blobRes.headers['content-type'] })
    copied++
  }
  cursor = missing.data.blobs.length ? missing.data.cursor : undefined
} while (cursor)
mark('blobs')

// 4. Preferences.
const prefs = await oldAgent.app.bsky.actor.getPreferences()
await newAgent.app.bsky.actor.putPreferences(prefs.data)
mark('preferences')

// 5. Identity: recommended credentials, the emailed code, sign on the old PDS, submit via the new.
const credsRes = await newAgent.com.atproto.identity.getRecommendedDidCredentials()
await oldAgent.com.atproto.identity.requestPlcOperationSignature()
const mail = await (
  await fetch(
    `${args.control}/mail/wait?to=${encodeURIComponent(args['old-email'])}&subject=${encodeURIComponent('PLC Update')}` +
      `&after=0&timeout_ms=30000`,
  )
).json()
if (!mail.code) throw new Error(`no PLC code mailed: ${JSON.stringify(mail)}`)
const plcOp = await oldAgent.com.atproto.identity.signPlcOperation({
  token: mail.code,
  rotationKeys: credsRes.data.rotationKeys ?? [],
  alsoKnownAs: credsRes.data.alsoKnownAs,
  verificationMethods: credsRes.data.verificationMethods,
  services: credsRes.data.services,
})
await newAgent.com.atproto.identity.submitPlcOperation({ operation: plcOp.data.operation })
mark('identity')

// 6. Switch over.
await newAgent.com.atproto.server.activateAccount()
await oldAgent.com.atproto.server.deactivateAccount({})
mark('done')
console.log(JSON.stringify({ did, blobs: copied, ms: marks }))
