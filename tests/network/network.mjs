#!/usr/bin/env node
// Stratos local test network: a PLC directory and two reference PDSes in ONE
// Node process, bound to 127.0.0.1 only, plus a handle resolver and a control
// server for tests.
//
// Usage:  node network.mjs [--info <file>] [--ignore-stdin] [--latency-ms <rtt>]
//   Needs Node >= 22 (run ./setup.sh first; it prints the node binary to use).
//   --latency-ms N (for benchmarks): each PDS listens on an inner port and a TCP latency
//   proxy (in a worker thread) on its advertised port adds N ms of round-trip time to every
//   connection (N/2 each way, plus one RTT before the first byte, as a TCP handshake would),
//   so DID documents and URLs stay valid. Without it (the default) nothing is proxied.
//
// Once everything listens, ONE line of JSON goes to stdout (and, atomically, to
// --info <file>):
//   {"plc":"http://localhost:P","resolver":"http://127.0.0.1:R","control":"http://127.0.0.1:C",
//    "pds":[{"url":"http://localhost:P1","did":"did:web:localhost%3AP1","domain":".test","adminPassword":"…"},
//           {"url":"http://localhost:P2","did":"did:web:localhost%3AP2","domain":".pds2.test","adminPassword":"…"}]}
// Everything else goes to stderr. STRATOS_TESTNET_VERBOSE=1 turns the PDS logs on.
//
// Resolver (for STRATOS_HANDLE_RESOLVER):
//   GET  /xrpc/com.atproto.identity.resolveHandle?handle=h -> 200 {did} | 400 {error:"HandleNotFound"}
// Control server (JSON):
//   GET    /health
//   GET    /mail[?to=<email>]                 captured mail, oldest first
//   GET    /mail/wait?to=&subject=&after=&timeout_ms=
//          long-poll for the (after+1)-th matching mail; 408 on timeout (max 30000 ms)
//   GET    /handle-override                   {handle: did, ...}
//   PUT    /handle-override  {handle, did}    make a custom-domain handle resolve
//   DELETE /handle-override?handle=h
//
// Email 2FA EMULATION: the reference PDS (0.5.35) ignores `emailAuthFactor` in
// com.atproto.server.updateEmail and never answers createSession with
// AuthFactorTokenRequired; only Bluesky's closed-source entryway does. Stratos
// must handle that flow, so this network emulates it in front of each PDS:
//   - updateEmail {email, emailAuthFactor, token} stores the flag per account
//     (and, when the address is unchanged, keeps the email confirmed);
//   - createSession with the account password for such an account and no valid
//     authFactorToken revokes the new session, mails a code (subject
//     "Sign-in Code Requested") and answers 401 AuthFactorTokenRequired; with the
//     mailed code it succeeds. App-password logins skip the second factor;
//   - createSession / getSession / refreshSession report `emailAuthFactor`.
//
// The process exits cleanly (servers closed, temp dir removed) on SIGTERM,
// SIGINT, and when stdin is a pipe or socket that reaches EOF, so a parent
// that dies takes the network down. When starting it in the background from a
// script whose stdin might be an already-closed pipe, pass --ignore-stdin.

import { randomBytes, randomInt } from 'node:crypto'
import { EventEmitter, once } from 'node:events'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import http from 'node:http'
import module from 'node:module'
import net from 'node:net'
import os from 'node:os'
import zlib from 'node:zlib'
import path from 'node:path'
import { Worker, isMainThread, workerData } from 'node:worker_threads'

const VERBOSE = process.env.STRATOS_TESTNET_VERBOSE === '1'
// The atproto loggers read these at import time, so set them before importing.
if (VERBOSE) {
  process.env.LOG_ENABLED = 'true'
  process.env.LOG_DESTINATION = '/dev/stderr' // never stdout: it carries the info line
} else {
  process.env.LOG_ENABLED = 'false'
}

const HOST = '127.0.0.1'
const MAIL_CODE = /[A-Z2-7]{5}-[A-Z2-7]{5}/
const MAX_WAIT_MS = 30_000
// A 32x32 logo (a blue-violet gradient with a light ring), made once as a real PNG.
const LOGO_PNG = (() => {
  const size = 32
  const rows = []
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4)
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - 15.5, y - 15.5)
      const ring = d > 9 && d < 12
      row.set(ring ? [240, 244, 255, 255] : [70 + x * 3, 90 + y * 2, 230, 255], 1 + x * 4)
    }
    rows.push(row)
  }
  const chunk = (type, data) => {
    const head = Buffer.alloc(4)
    head.writeUInt32BE(data.length)
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(zlib.crc32(body))
    return Buffer.concat([head, body, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(size, 0)
  ihdr.writeUInt32BE(size, 4)
  ihdr.set([8, 6, 0, 0, 0], 8)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ])
})()
const MAX_IMPORT_SIZE = 100 * 1024 * 1024
const SIGN_IN_SUBJECT = 'Sign-in Code Requested'
const SIGN_IN_CODE_TTL_MS = 15 * 60 * 1000
// Marks requests the 2FA emulation forwards to its own PDS, so they pass through.
const INNER_HEADER = 'x-stratos-testnet-inner'
const INNER_SECRET = randomBytes(16).toString('hex')

const log = (...args) => console.error('[stratos-testnet]', ...args)
const debug = VERBOSE ? log : () => {}

function parseArgs(argv) {
  const opts = { info: null, ignoreStdin: false, latencyMs: 0 }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--info' && argv[i + 1]) opts.info = argv[++i]
    else if (a.startsWith('--info=')) opts.info = a.slice('--info='.length)
    else if (a === '--ignore-stdin') opts.ignoreStdin = true
    else if (a === '--latency-ms' && argv[i + 1]) opts.latencyMs = Number(argv[++i])
    else throw new Error(`unknown argument ${a} (usage: network.mjs [--info <file>] [--ignore-stdin] [--latency-ms <rtt>])`)
  }
  if (!(opts.latencyMs >= 0)) throw new Error('--latency-ms needs a number >= 0')
  return opts
}

// ------------------------------------------------------------ latency proxy --

// Copies src to dst, delivering each chunk `delay` ms after it arrived (`firstAt`: not before
// that time), in order; reading pauses while more than HIGH bytes wait, so memory stays bounded.
function pipeDelayed(src, dst, delay, firstAt) {
  const HIGH = 8 * 1024 * 1024
  const queue = [] // { at, chunk } | { at, end: true }
  let queued = 0
  let timer = null
  let draining = false
  const flush = () => {
    timer = null
    const now = performance.now()
    while (queue.length && queue[0].at <= now) {
      const item = queue.shift()
      if (item.end) return dst.end()
      queued -= item.chunk.length
      if (!dst.destroyed && !dst.write(item.chunk) && !draining) {
        draining = true
        src.pause()
        dst.once('drain', () => {
          draining = false
          if (queued <= HIGH) src.resume()
        })
      }
    }
    if (queued <= HIGH && !draining) src.resume()
    if (queue.length) timer = setTimeout(flush, Math.max(0, queue[0].at - now))
  }
  const push = (item) => {
    queue.push(item)
    if (!timer) timer = setTimeout(flush, Math.max(0, queue[0].at - performance.now()))
  }
  src.on('data', (chunk) => {
    queued += chunk.length
    if (queued > HIGH) src.pause()
    push({ at: Math.max(performance.now() + delay, firstAt), chunk })
  })
  src.on('end', () => push({ at: Math.max(performance.now() + delay, firstAt), end: true }))
}

// The worker thread's body: one TCP proxy per { listen, target } pair, adding `rttMs`.
async function runLatencyProxies({ rttMs, pairs }) {
  const half = rttMs / 2
  for (const { listen, target } of pairs) {
    // Half-open allowed: a side that finished sending still gets the other side's bytes.
    const server = net.createServer({ allowHalfOpen: true }, (client) => {
      const upstream = net.connect({ port: target, host: HOST, allowHalfOpen: true })
      client.setNoDelay(true)
      upstream.setNoDelay(true)
      // The client's first byte reaches the server one RTT (the handshake) plus half an RTT later.
      pipeDelayed(client, upstream, half, performance.now() + rttMs + half)
      pipeDelayed(upstream, client, half, 0)
      const kill = () => {
        client.destroy()
        upstream.destroy()
      }
      client.on('error', kill)
      upstream.on('error', kill)
      client.on('close', () => setTimeout(() => upstream.destroy(), half + 1000).unref())
      upstream.on('close', () => setTimeout(() => client.destroy(), half + 1000).unref())
    })
    server.listen(listen, HOST)
    await once(server, 'listening')
  }
}

if (!isMainThread && workerData?.latencyProxy) {
  runLatencyProxies(workerData.latencyProxy).catch((err) => {
    console.error('[stratos-testnet] latency proxy failed:', err?.stack ?? err)
    process.exit(1)
  })
}

// Starts the proxies in a worker thread (its own event loop, so the PDSes' CPU is not shared
// with it); resolves once they listen.
async function startLatencyProxies(rttMs, pairs) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { latencyProxy: { rttMs, pairs } }, argv: [] })
  cleanups.push(() => worker.terminate())
  // Listening is quick; poll the ports until they accept.
  for (const { listen } of pairs) {
    const deadline = performance.now() + 10_000
    for (;;) {
      const ok = await new Promise((resolve) => {
        const s = net.connect(listen, HOST)
        s.once('connect', () => (s.destroy(), resolve(true)))
        s.once('error', () => resolve(false))
      })
      if (ok) break
      if (performance.now() > deadline) throw new Error(`latency proxy on port ${listen} did not start`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }
}

// ---------------------------------------------------------------- shutdown --

const cleanups = [] // run in reverse order on exit
let shuttingDown = false
let startup // the main() promise

async function shutdown(code, why) {
  if (shuttingDown) return
  shuttingDown = true
  if (why) log(why)
  // Last resort if some close hangs; unref'd so it never delays a clean exit.
  setTimeout(() => {
    log('shutdown took too long; exiting')
    process.exit(code || 1)
  }, 10_000).unref()
  // Let a startup in progress finish registering what it started, then undo all of it.
  await startup?.catch(() => {})
  for (const fn of cleanups.reverse()) {
    try {
      const t = performance.now()
      await fn()
      debug(`cleanup ${fn.name || fn.toString().slice(0, 40)} took ${Math.round(performance.now() - t)} ms`)
    } catch (err) {
      log('cleanup failed:', err?.message ?? err)
    }
  }
  process.exit(code)
}

function watchStdin(ignore) {
  if (ignore) return
  let st
  try {
    st = fs.fstatSync(0)
  } catch {
    return // no stdin at all
  }
  // Only a pipe or socket tells us about a parent; /dev/null, a file or a TTY do not.
  if (!st.isFIFO() && !st.isSocket()) return
  process.stdin.on('data', () => {})
  process.stdin.on('end', () => shutdown(0, 'stdin closed; shutting down'))
  process.stdin.on('error', () => shutdown(0, 'stdin failed; shutting down'))
}

// ------------------------------------------------------------------ helpers --

// Binds 127.0.0.1:0 and keeps the socket: the port is known before the PDS
// config is built, and the real server later takes over this very socket, so
// no other process can grab the port in between.
async function reservePort() {
  const srv = net.createServer()
  srv.listen(0, HOST)
  await once(srv, 'listening')
  return { srv, port: srv.address().port }
}

// Makes app.listen(...) (called by pds.start()/plc.start()) serve on the
// reserved socket. Wrapping app.listen keeps the xrpc websocket upgrade hook.
function bindAppTo(app, reserved) {
  const listen = app.listen
  app.listen = () => listen.call(app, reserved.srv)
}

function sendJson(res, status, body, headers = {}) {
  const data = Buffer.from(JSON.stringify(body))
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': data.length,
    ...headers,
  })
  res.end(data)
}

async function readBody(req, limit = 1024 * 1024) {
  const chunks = []
  let size = 0
  for await (const chunk of req) {
    size += chunk.length
    if (size > limit) throw new Error('request body too large')
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

function listenHttp(handler) {
  const server = http.createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((err) => {
      log('request failed:', req.method, req.url, err?.stack ?? err)
      if (!res.headersSent) sendJson(res, 500, { error: 'InternalServerError', message: String(err?.message ?? err) })
      else res.destroy()
    })
  })
  server.listen(0, HOST)
  return once(server, 'listening').then(() => server)
}

function closeHttp(server) {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

// One HTTP request to 127.0.0.1:port with explicit headers (incl. Host).
function rawRequest(port, { method = 'GET', path: p, headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port, method, path: p, headers }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.setTimeout(30_000, () => req.destroy(new Error(`request to port ${port} timed out`)))
    req.on('error', reject)
    req.end(body)
  })
}

function jwtPayload(jwt) {
  try {
    return JSON.parse(Buffer.from(String(jwt).split('.')[1], 'base64url').toString('utf8'))
  } catch {
    return null
  }
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
function mailCode() {
  const part = () => Array.from({ length: 5 }, () => BASE32[randomInt(32)]).join('')
  return `${part()}-${part()}`
}

function addressOf(to) {
  if (Array.isArray(to)) return to.map(addressOf).join(', ')
  if (to && typeof to === 'object') return String(to.address ?? '')
  return String(to ?? '')
}

// -------------------------------------------------------------------- mail --

const mails = []
const mailEvents = new EventEmitter()
mailEvents.setMaxListeners(0)

function mailMatches(m, to, subject) {
  if (to && m.to !== to) return false
  if (subject && !m.subject.toLowerCase().includes(subject)) return false
  return true
}

// Keeps every message a PDS sends; the PDS still "sends" it to its jsonTransport.
function captureMail(pds, pdsUrl) {
  const transporter = pds.ctx.mailer.transporter
  const sendMail = transporter.sendMail.bind(transporter)
  transporter.sendMail = async (mail, ...rest) => {
    const res = await sendMail(mail, ...rest)
    let text = typeof mail.text === 'string' ? mail.text : ''
    try {
      const sent = JSON.parse(res.message) // jsonTransport: includes the compiled text part
      if (typeof sent.text === 'string') text = sent.text
    } catch {
      // not a jsonTransport result: keep what we have
    }
    if (!text && typeof mail.html === 'string') text = mail.html.replace(/<[^>]*>/g, ' ')
    const record = {
      pds: pdsUrl,
      to: addressOf(mail.to).toLowerCase(),
      subject: String(mail.subject ?? ''),
      text,
      code: text.match(MAIL_CODE)?.[0] ?? null,
      at: new Date().toISOString(),
    }
    mails.push(record)
    debug('mail', record.to, record.subject, record.code)
    mailEvents.emit('mail', record)
    return res
  }
}

// ----------------------------------------------------------------- handles --

const overrides = new Map() // handle -> did

// pdsList entries: { domain, port, pds }; longest domain first so '.pds2.test' wins over '.test'.
async function resolveHandle(pdsList, rawHandle) {
  const handle = String(rawHandle ?? '').trim().toLowerCase().replace(/\.$/, '')
  if (!handle) return undefined
  if (overrides.has(handle)) return overrides.get(handle)
  const owner = pdsList.find((p) => handle.endsWith(p.domain))
  if (!owner) return undefined // an unknown custom domain: "DNS" has nothing for it
  // What DNS-less resolution via https://<handle>/.well-known/atproto-did would give.
  try {
    const res = await rawRequest(owner.port, { path: '/.well-known/atproto-did', headers: { host: handle } })
    const did = res.body.toString('utf8').split('\n')[0].trim()
    if (res.status === 200 && did.startsWith('did:')) return did
  } catch (err) {
    debug('well-known lookup failed for', handle, err?.message)
  }
  // A service-domain handle that moved with its account to the other PDS (migration)
  // keeps resolving, as its domain's DNS would be pointed at the new host.
  for (const p of pdsList) {
    if (p.stopped) continue
    const acct = await p.pds.ctx.accountManager.getAccount(handle).catch(() => null)
    if (acct?.did) return acct.did
  }
  return undefined
}

// ------------------------------------------------------------ 2FA emulation --

function emulateEmail2fa(pdsEntry) {
  const { pds, port } = pdsEntry
  const enabled = new Set() // dids with email 2FA on
  const pending = new Map() // did -> { code, expires }
  const accounts = pds.ctx.accountManager

  // Forward the request, unchanged (same Host, same auth), to this PDS itself.
  const inner = (req, body) => {
    const headers = { ...req.headers, 'accept-encoding': 'identity', [INNER_HEADER]: INNER_SECRET }
    delete headers['transfer-encoding']
    delete headers.connection
    if (body) headers['content-length'] = String(body.length)
    return rawRequest(port, { method: req.method, path: req.url, headers, body })
  }
  const relay = (res, r, json) => {
    const headers = { ...r.headers }
    for (const h of ['content-length', 'transfer-encoding', 'connection', 'content-encoding', 'keep-alive']) delete headers[h]
    if (json !== undefined) delete headers.etag // it described the body before we added to it
    const data = json === undefined ? r.body : Buffer.from(JSON.stringify(json))
    headers['content-length'] = String(data.length)
    res.writeHead(r.status, headers)
    res.end(data)
  }
  const parse = (buf) => {
    try {
      return JSON.parse(buf.toString('utf8'))
    } catch {
      return null
    }
  }
  // Adds emailAuthFactor where the PDS shows the email (not to scoped OAuth views).
  const withFactor = (out) => (out && typeof out.did === 'string' && 'email' in out ? { ...out, emailAuthFactor: enabled.has(out.did) } : undefined)
  const tokenOf = (req) => String(req.headers.authorization ?? '').split(' ')[1]

  const routes = {
    'POST /xrpc/com.atproto.server.createSession': async (req, res) => {
      const body = await readBody(req)
      const input = parse(body)
      const r = await inner(req, body)
      const out = r.status === 200 ? parse(r.body) : null
      if (!out) return relay(res, r)
      const isFullSession = jwtPayload(out.accessJwt)?.scope === 'com.atproto.access'
      if (!enabled.has(out.did) || !isFullSession) return relay(res, r, withFactor(out))
      const given = typeof input?.authFactorToken === 'string' ? input.authFactorToken.trim().toUpperCase() : ''
      const want = pending.get(out.did)
      if (given && want && want.code === given && want.expires > Date.now()) {
        pending.delete(out.did)
        return relay(res, r, withFactor(out))
      }
      // Second factor missing or wrong: the session just made must not survive.
      await rawRequest(port, {
        method: 'POST',
        path: '/xrpc/com.atproto.server.deleteSession',
        headers: { host: req.headers.host ?? `localhost:${port}`, authorization: `Bearer ${out.refreshJwt}`, [INNER_HEADER]: INNER_SECRET },
      })
      if (given) {
        const expired = want && want.code === given
        return sendJson(res, 400, expired ? { error: 'ExpiredToken', message: 'Token is expired' } : { error: 'InvalidToken', message: 'Token is invalid' })
      }
      const code = mailCode()
      pending.set(out.did, { code, expires: Date.now() + SIGN_IN_CODE_TTL_MS })
      await pds.ctx.mailer.transporter.sendMail({
        to: out.email,
        subject: SIGN_IN_SUBJECT,
        text: `Your sign-in code is ${code}. It expires in 15 minutes.`,
        html: `<p>Your sign-in code is <b>${code}</b>. It expires in 15 minutes.</p>`,
      })
      return sendJson(res, 401, { error: 'AuthFactorTokenRequired', message: 'A sign in code has been sent to your email address' })
    },

    'POST /xrpc/com.atproto.server.updateEmail': async (req, res) => {
      const body = await readBody(req)
      const input = parse(body)
      const did = jwtPayload(tokenOf(req))?.sub
      const before = did ? await accounts.getAccount(did, { includeDeactivated: true, includeTakenDown: true }).catch(() => null) : null
      const r = await inner(req, body)
      if (r.status === 200 && before) {
        if (input?.emailAuthFactor === true) enabled.add(did)
        if (input?.emailAuthFactor === false) enabled.delete(did)
        // The PDS un-confirms the address even when it did not change; the entryway does not.
        const same = typeof input?.email === 'string' && input.email.toLowerCase() === before.email
        if (same && before.emailConfirmedAt) {
          await accounts.db.executeWithRetry(
            accounts.db.db.updateTable('account').set({ emailConfirmedAt: before.emailConfirmedAt }).where('did', '=', did),
          )
        }
      }
      return relay(res, r)
    },

    'GET /xrpc/com.atproto.server.getSession': async (req, res) => {
      const r = await inner(req)
      return relay(res, r, r.status === 200 ? withFactor(parse(r.body)) : undefined)
    },

    'POST /xrpc/com.atproto.server.refreshSession': async (req, res) => {
      const r = await inner(req, await readBody(req))
      return relay(res, r, r.status === 200 ? withFactor(parse(r.body)) : undefined)
    },
  }

  const handle = pds.app.handle.bind(pds.app)
  pds.app.handle = (req, res, next) => {
    const route = routes[`${req.method} ${req.url.split('?')[0]}`]
    // Only legacy (Bearer) sessions: OAuth/DPoP requests go straight to the PDS.
    const legacy = !/^dpop /i.test(String(req.headers.authorization ?? ''))
    if (!route || !legacy || req.headers[INNER_HEADER] === INNER_SECRET) return handle(req, res, next)
    route(req, res).catch((err) => {
      log('2FA emulation failed:', req.url, err?.stack ?? err)
      if (!res.headersSent) sendJson(res, 500, { error: 'InternalServerError', message: String(err?.message ?? err) })
      else res.destroy()
    })
  }
}

// ------------------------------------------------------------ fault injection --

// FAULT INJECTION (a test double inside the real PDS's front door): a real PDS cannot be told
// to refuse some uploads and then accept them, so `PUT /faults` arms one: the next `count`
// requests for `nsid` by `did` (the Bearer token's subject) on that PDS are answered with
// `status` after their body was read; then the real PDS answers again.
const faults = [] // { pdsUrl, nsid, did, count, status }

function injectFaults(pdsEntry) {
  const handle = pdsEntry.pds.app.handle.bind(pdsEntry.pds.app)
  pdsEntry.pds.app.handle = (req, res, next) => {
    const nsid = req.url.split('?')[0].replace(/^\/xrpc\//, '')
    const did = jwtPayload(String(req.headers.authorization ?? '').split(' ')[1] ?? '')?.sub
    const fault = faults.find((f) => f.pdsUrl === pdsEntry.url && f.nsid === nsid && f.did === did && f.count > 0)
    if (!fault || req.headers[INNER_HEADER] === INNER_SECRET) return handle(req, res, next)
    fault.count -= 1
    req.resume()
    req.on('end', () =>
      sendJson(res, fault.status, { error: fault.status === 429 ? 'RateLimitExceeded' : 'InternalServerError', message: 'injected fault' }, fault.status === 429 ? { 'retry-after': '1' } : {}),
    )
  }
}

// ------------------------------------------------ hosted OAuth client metadata --

// OAuth clients with a hosted client_id (an https URL) publish their metadata there. The
// machines have no DNS for made-up hosts, so the PDS's fetch of a registered URL is answered here
// with the registered document; every other URL goes to the real fetch.
const clientMetadata = new Map() // url -> document

// An app update feed, as a release host serves it: static files (the feed JSON, the packages)
// published by a test with PUT /update-feed/<path> and served at GET /update-feed/<path>, and
// how many times each path was asked for (GET /update-feed-requests?path=<path>).
const updateFeedFiles = new Map() // path -> { type, bytes }
const updateFeedRequests = new Map() // path -> n

function serveClientMetadata() {
  const realFetch = globalThis.fetch
  globalThis.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input?.url
    const doc = url && clientMetadata.get(url)
    if (doc) {
      debug('client metadata served for', url)
      return new Response(JSON.stringify(doc), { status: 200, headers: { 'content-type': 'application/json' } })
    }
    return realFetch(input, init)
  }
}

// --------------------------------------------------------- request counter --

// Counts XRPC requests per (method, account) as the outside world sends them, so
// tests can prove effects such as "20 concurrent calls made exactly 1 refreshSession".
// The account is the `sub` of the bearer token (unverified: this only counts).
const requestCounts = new Map() // `${nsid} ${sub}` -> n

// Also counts every XRPC request per (PDS, account), the account being the bearer token's `sub`
// or the `did`/`repo` query parameter, to prove a server was not contacted for an account.
const pdsRequestCounts = new Map() // `${pds url} ${did}` -> n

function countRequests({ pds, url }) {
  const handle = pds.app.handle.bind(pds.app)
  pds.app.handle = (req, res, next) => {
    // OAuth token requests are counted per DPoP key (its public `x`), which identifies a session.
    if (req.url.startsWith('/oauth/token') && req.method === 'POST') {
      const proof = String(req.headers.dpop ?? '')
      let x = '-'
      try {
        x = JSON.parse(Buffer.from(proof.split('.')[0], 'base64url').toString('utf8'))?.jwk?.x ?? '-'
      } catch {}
      const key = `oauth/token ${x}`
      requestCounts.set(key, (requestCounts.get(key) ?? 0) + 1)
    }
    if (req.headers[INNER_HEADER] !== INNER_SECRET && req.url.startsWith('/xrpc/')) {
      const nsid = req.url.slice('/xrpc/'.length).split('?')[0]
      const token = String(req.headers.authorization ?? '').split(' ')[1]
      const sub = (token && jwtPayload(token)?.sub) || '-'
      const key = `${nsid} ${sub}`
      requestCounts.set(key, (requestCounts.get(key) ?? 0) + 1)
      const query = new URLSearchParams(req.url.split('?')[1] ?? '')
      const who = sub !== '-' ? sub : (query.get('did') ?? query.get('repo') ?? '-')
      const pdsKey = `${url} ${who}`
      pdsRequestCounts.set(pdsKey, (pdsRequestCounts.get(pdsKey) ?? 0) + 1)
    }
    return handle(req, res, next)
  }
}

// ------------------------------------------------------------------ servers --

function resolverHandler(pdsList) {
  return async (req, res) => {
    const url = new URL(req.url, 'http://resolver')
    if (req.method === 'GET' && url.pathname === '/xrpc/com.atproto.identity.resolveHandle') {
      const handle = url.searchParams.get('handle')
      if (!handle) return sendJson(res, 400, { error: 'InvalidRequest', message: 'Error: Params must have the property "handle"' })
      const did = await resolveHandle(pdsList, handle)
      if (!did) return sendJson(res, 400, { error: 'HandleNotFound', message: `Unable to resolve handle: ${handle}` })
      return sendJson(res, 200, { did })
    }
    if (req.method === 'GET' && url.pathname === '/xrpc/_health') return sendJson(res, 200, { version: 'stratos-testnet' })
    return sendJson(res, 404, { error: 'MethodNotImplemented', message: 'Method Not Implemented' })
  }
}

function controlHandler({ createDidWithoutPds, createDidWithKey, ageEmailTokens, hostilePlcOp, newPds, stopPds, restartPds }) {
  return async (req, res) => {
    const url = new URL(req.url, 'http://control')
    const q = url.searchParams
    const route = `${req.method} ${url.pathname}`
    const to = (q.get('to') ?? '').trim().toLowerCase()
    const subject = (q.get('subject') ?? '').toLowerCase()

    if (route === 'GET /health') return sendJson(res, 200, { ok: true, mails: mails.length })

    if (route === 'GET /mail') return sendJson(res, 200, mails.filter((m) => mailMatches(m, to, subject)))

    if (route === 'GET /mail/wait') {
      const after = Number.parseInt(q.get('after') ?? '0', 10)
      const timeout = Math.min(Number.parseInt(q.get('timeout_ms') ?? '10000', 10) || 0, MAX_WAIT_MS)
      if (!Number.isInteger(after) || after < 0) return sendJson(res, 400, { error: 'BadRequest', message: 'after must be a non-negative integer' })
      const seen = mails.filter((m) => mailMatches(m, to, subject))
      if (seen.length > after) return sendJson(res, 200, seen[after])
      let count = seen.length
      const done = (status, body) => {
        clearTimeout(timer)
        mailEvents.off('mail', onMail)
        res.off('close', onClose)
        if (!res.writableEnded && !res.destroyed) sendJson(res, status, body)
      }
      const onMail = (m) => {
        if (!mailMatches(m, to, subject)) return
        if (count++ === after) done(200, m)
      }
      const onClose = () => done()
      const timer = setTimeout(
        () => done(408, { error: 'Timeout', message: `no mail #${after + 1} for to=${to || '*'} subject~${subject || '*'} within ${timeout} ms` }),
        timeout,
      )
      mailEvents.on('mail', onMail)
      res.on('close', onClose)
      return
    }

    if (route === 'PUT /client-metadata') {
      const body = JSON.parse((await readBody(req)).toString('utf8') || '{}')
      let url
      try {
        url = new URL(body.url)
      } catch {
        return sendJson(res, 400, { error: 'BadRequest', message: 'url must be an absolute URL' })
      }
      if (url.protocol !== 'https:' || typeof body.document !== 'object') {
        return sendJson(res, 400, { error: 'BadRequest', message: 'need {url: https://…, document: {…}}' })
      }
      clientMetadata.set(url.href, body.document)
      return sendJson(res, 200, { url: url.href })
    }

    if (req.method === 'PUT' && url.pathname.startsWith('/update-feed/')) {
      const path = url.pathname.slice('/update-feed/'.length)
      const type = req.headers['content-type'] || 'application/octet-stream'
      updateFeedFiles.set(path, { type, bytes: await readBody(req, 64 * 1024 * 1024) })
      return sendJson(res, 200, { path })
    }
    if (req.method === 'GET' && url.pathname.startsWith('/update-feed/')) {
      const path = url.pathname.slice('/update-feed/'.length)
      updateFeedRequests.set(path, (updateFeedRequests.get(path) ?? 0) + 1)
      const file = updateFeedFiles.get(path)
      if (!file) return sendJson(res, 404, { error: 'NotFound', message: `nothing published at ${path}` })
      res.writeHead(200, { 'content-type': file.type, 'content-length': file.bytes.length })
      return res.end(file.bytes)
    }
    if (route === 'GET /update-feed-requests') {
      const path = q.get('path') ?? ''
      return sendJson(res, 200, { path, count: updateFeedRequests.get(path) ?? 0 })
    }

    if (route === 'PUT /faults') {
      const body = JSON.parse((await readBody(req)).toString('utf8') || '{}')
      const pdsUrl = String(body.pds ?? '').replace(/\/$/, '')
      if (!pdsUrl || !body.nsid || !body.did || !(body.count > 0) || !(body.status >= 400)) {
        return sendJson(res, 400, { error: 'BadRequest', message: 'need {pds, nsid, did, count > 0, status >= 400}' })
      }
      faults.push({ pdsUrl, nsid: body.nsid, did: body.did, count: body.count, status: body.status })
      return sendJson(res, 200, { armed: body.count })
    }

    if (route === 'GET /faults') return sendJson(res, 200, faults)

    if (route === 'GET /image') {
      // An app logo as a client's metadata would publish: `kind` png (a real 32x32 PNG, padded to
      // `bytes` with zeros after its end, which decoders ignore) or html (not an image).
      const bytes = Math.min(Number.parseInt(q.get('bytes') ?? '0', 10) || 0, 4 * 1024 * 1024)
      if (q.get('kind') === 'html') {
        const page = Buffer.from('<!doctype html><title>not an image</title>')
        res.writeHead(200, { 'content-type': 'text/html', 'content-length': page.length })
        return res.end(page)
      }
      const png = Buffer.concat([LOGO_PNG, Buffer.alloc(Math.max(0, bytes - LOGO_PNG.length))])
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length })
      return res.end(png)
    }

    if (route === 'POST /pds') return sendJson(res, 200, await newPds())
    if (route === 'POST /pds/stop' || route === 'POST /pds/start') {
      try {
        return sendJson(res, 200, await (route === 'POST /pds/stop' ? stopPds : restartPds)(q.get('url') ?? ''))
      } catch (err) {
        if (err.status === 404) return sendJson(res, 404, { error: 'NotFound', message: err.message })
        throw err
      }
    }

    if (route === 'POST /did-without-pds') return sendJson(res, 200, { did: await createDidWithoutPds() })

    if (route === 'POST /age-email-tokens') {
      const did = q.get('did') ?? ''
      const minutes = Number.parseInt(q.get('minutes') ?? '16', 10)
      if (!did.startsWith('did:') || !(minutes > 0)) return sendJson(res, 400, { error: 'BadRequest', message: 'need did= and minutes > 0' })
      return sendJson(res, 200, { aged: await ageEmailTokens(did, minutes) })
    }

    if (route === 'POST /did-with-key') return sendJson(res, 200, await createDidWithKey(q.get('pds') ?? ''))

    if (route === 'POST /hostile-plc-op') {
      const did = q.get('did') ?? ''
      const endpoint = q.get('endpoint') ?? ''
      if (!did.startsWith('did:plc:') || !endpoint) return sendJson(res, 400, { error: 'BadRequest', message: 'need did= (did:plc) and endpoint=' })
      return sendJson(res, 200, await hostilePlcOp(did, endpoint))
    }

    if (route === 'GET /requests' && q.get('pds')) {
      const pds = q.get('pds')
      const did = q.get('did') ?? '-'
      return sendJson(res, 200, { pds, did, count: pdsRequestCounts.get(`${pds} ${did}`) ?? 0 })
    }
    if (route === 'GET /requests') {
      const nsid = q.get('nsid') ?? ''
      const did = q.get('did') ?? '-'
      return sendJson(res, 200, { nsid, did, count: requestCounts.get(`${nsid} ${did}`) ?? 0 })
    }

    if (route === 'GET /handle-override') return sendJson(res, 200, Object.fromEntries(overrides))

    if (route === 'PUT /handle-override') {
      let body
      try {
        body = JSON.parse((await readBody(req)).toString('utf8'))
      } catch {
        return sendJson(res, 400, { error: 'BadRequest', message: 'body must be JSON {handle, did}' })
      }
      const handle = String(body?.handle ?? '').trim().toLowerCase()
      const did = String(body?.did ?? '').trim()
      if (!handle || !did.startsWith('did:')) return sendJson(res, 400, { error: 'BadRequest', message: 'body must be JSON {handle, did}' })
      overrides.set(handle, did)
      return sendJson(res, 200, { handle, did })
    }

    if (route === 'DELETE /handle-override') {
      const handle = (q.get('handle') ?? '').trim().toLowerCase()
      if (!handle) return sendJson(res, 400, { error: 'BadRequest', message: 'handle is required' })
      return sendJson(res, 200, { handle, removed: overrides.delete(handle) })
    }

    return sendJson(res, 404, { error: 'NotFound', message: `no route ${route}` })
  }
}

// ------------------------------------------------------------------ startup --

async function writeInfoAtomically(file, line) {
  const tmp = `${file}.${process.pid}.tmp`
  await fsp.writeFile(tmp, line + '\n')
  await fsp.rename(tmp, file)
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const major = Number(process.versions.node.split('.')[0])
  if (major < 22) throw new Error(`Node >= 22 is required (this is ${process.version}); run tests/network/setup.sh and use the node it prints`)

  const started = performance.now()
  serveClientMetadata()
  // Caches compiled PDS code between runs (kept beside the modules it caches): ~25% faster start.
  module.enableCompileCache?.(path.join(import.meta.dirname, 'node_modules', '.cache', 'node-compile-cache'))
  const [{ PDS, envToCfg, envToSecrets }, plcModule, { Secp256k1Keypair, bytesToMultibase }, plcLib] = await Promise.all([
    import('@atproto/pds'),
    import('@did-plc/server'),
    import('@atproto/crypto'),
    import('@did-plc/lib'),
  ])
  const { PlcServer, Database } = plcModule.default ?? plcModule

  const tmpDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'stratos-testnet-'))
  cleanups.push(() => fsp.rm(tmpDir, { recursive: true, force: true }))
  watchStdin(opts.ignoreStdin)

  // PLC directory (in memory).
  const plcPort = await reservePort()
  debug(`imports done at ${Math.round(performance.now() - started)} ms`)
  const plc = PlcServer.create({ db: Database.mock(), port: plcPort.port })
  bindAppTo(plc.app, plcPort)
  await plc.start()
  cleanups.push(() => plc.destroy())
  const plcUrl = `http://localhost:${plcPort.port}` // a hostname: the PDS rejects IP hosts for DID fetches

  const proxied = [] // { listen, target } for the latency proxy
  // `proxy`: false for the PDSes tests start later (the latency proxy is for benchmarks, at start).
  const startPds = async (name, domain, { proxy = true } = {}) => {
    // With --latency-ms the PDS serves on an inner port and the proxy takes the advertised one.
    const advertised = await reservePort()
    const reserved = proxy && opts.latencyMs > 0 ? await reservePort() : advertised
    const port = advertised.port
    const dir = path.join(tmpDir, name)
    await fsp.mkdir(dir, { recursive: true })
    const keypair = await Secp256k1Keypair.create({ exportable: true })
    const env = {
      port,
      hostname: 'localhost',
      serviceDid: `did:web:localhost%3A${port}`,
      serviceName: `Stratos Test ${name.toUpperCase()}`,
      devMode: true,
      inviteRequired: false,
      didPlcUrl: plcUrl,
      serviceHandleDomains: [domain],
      dataDirectory: dir,
      blobstoreDiskLocation: path.join(dir, 'blobs'),
      maxImportSize: MAX_IMPORT_SIZE,
      enableDidDocWithSession: true,
      // Dummies: with an app view configured the PDS serves app.bsky.actor.{get,put}Preferences.
      bskyAppViewUrl: 'http://localhost:1',
      bskyAppViewDid: 'did:web:appview.invalid',
      adminPassword: randomBytes(16).toString('hex'),
      jwtSecret: randomBytes(32).toString('hex'),
      plcRotationKeyK256PrivateKeyHex: Buffer.from(await keypair.export()).toString('hex'),
    }
    // `port`: where this process reaches the PDS itself (the inner one when proxied).
    const entry = { name, domain, port: reserved.port, env, pds: null, stopped: false, url: `http://localhost:${port}`, did: env.serviceDid, adminPassword: env.adminPassword }
    await bootPds(entry, reserved)
    debug(`${name} started at ${Math.round(performance.now() - started)} ms`)
    cleanups.push(() => (entry.stopped ? undefined : entry.pds.destroy()))
    if (reserved !== advertised) {
      proxied.push({ listen: port, target: reserved.port })
      advertised.srv.close() // the proxy (another thread) binds this port next
    }
    return entry
  }
  // Creates the PDS of `entry` from its settings and data folder (again, after a stop) and serves
  // it on `reserved`; then puts this network's front doors (mail, 2FA, counts, faults) before it.
  const bootPds = async (entry, reserved) => {
    entry.pds = await PDS.create(envToCfg(entry.env), envToSecrets(entry.env))
    bindAppTo(entry.pds.app, reserved)
    await entry.pds.start()
    if (pdsList.includes(entry)) wire(entry)
  }
  const pdsList = [] // longest domain first
  const wire = (p) => {
    captureMail(p.pds, p.url)
    p.pds.ctx.idResolver.handle.resolve = (handle) => resolveHandle(pdsList, handle)
    emulateEmail2fa(p)
    countRequests(p)
    injectFaults(p)
  }
  const addPds = (p) => {
    pdsList.push(p)
    pdsList.sort((a, b) => b.domain.length - a.domain.length)
    wire(p)
  }

  // Sequential: both share the CPU anyway, and errors stay readable.
  const pds1 = await startPds('pds1', '.test')
  const pds2 = await startPds('pds2', '.pds2.test')
  if (proxied.length) {
    await startLatencyProxies(opts.latencyMs, proxied)
    log(`latency proxy: +${opts.latencyMs} ms RTT on ${proxied.map((p) => `${p.listen}->${p.target}`).join(', ')}`)
  }
  addPds(pds1)
  addPds(pds2)

  // A PDS of the test's own (not pds1/pds2, which every test shares) that it may stop, so that its
  // port refuses connections as a dead server's does, and start again with its data.
  let extraPdses = 0
  const newPds = async () => {
    extraPdses += 1
    const p = await startPds(`pds-extra${extraPdses}`, `.x${extraPdses}.test`, { proxy: false })
    addPds(p)
    return { url: p.url, did: p.did, domain: p.domain, adminPassword: p.adminPassword }
  }
  const extraPds = (url) => {
    const p = pdsList.find((e) => e.url === url && e.name.startsWith('pds-extra'))
    if (!p) throw Object.assign(new Error(`no PDS started by a test at ${url}`), { status: 404 })
    return p
  }
  const stopPds = async (url) => {
    const p = extraPds(url)
    if (p.stopped) return { url, running: false }
    p.stopped = true
    await p.pds.destroy()
    return { url, running: false }
  }
  const restartPds = async (url) => {
    const p = extraPds(url)
    if (!p.stopped) return { url, running: true }
    const srv = net.createServer()
    srv.listen(p.port, HOST)
    await once(srv, 'listening')
    await bootPds(p, { srv })
    p.stopped = false
    return { url, running: true }
  }

  const resolver = await listenHttp(resolverHandler(pdsList))
  cleanups.push(() => closeHttp(resolver))
  // A real did:plc whose document names no PDS, for the "DID without a PDS" error path.
  const createDidWithoutPds = async () => {
    const key = await Secp256k1Keypair.create()
    const op = await plcLib.signOperation(
      { type: 'plc_operation', rotationKeys: [key.did()], verificationMethods: { atproto: key.did() }, alsoKnownAs: [], services: {}, prev: null },
      key,
    )
    const did = await plcLib.didForCreateOp(op)
    const r = await fetch(`${plcUrl}/${did}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(op) })
    if (!r.ok) throw new Error(`PLC refused the operation: ${r.status} ${await r.text()}`)
    return did
  }
  // A real did:plc whose #atproto key the caller gets (multibase private key, as goat prints it),
  // hosted on `pdsUrl`, for signing service auth offline (createAccount with an existing DID).
  const createDidWithKey = async (pdsUrl) => {
    const key = await Secp256k1Keypair.create({ exportable: true })
    const services = pdsUrl ? { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: pdsUrl } } : {}
    const op = await plcLib.signOperation(
      { type: 'plc_operation', rotationKeys: [key.did()], verificationMethods: { atproto: key.did() }, alsoKnownAs: [], services, prev: null },
      key,
    )
    const did = await plcLib.didForCreateOp(op)
    const r = await fetch(`${plcUrl}/${did}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(op) })
    if (!r.ok) throw new Error(`PLC refused the operation: ${r.status} ${await r.text()}`)
    // Multicodec secp256k1-priv (0x1301, varint 0x81 0x26) + the 32 raw bytes, base58btc.
    const raw = await key.export()
    const prefixed = new Uint8Array(2 + raw.length)
    prefixed.set([0x81, 0x26])
    prefixed.set(raw, 2)
    return { did, signingKey: bytesToMultibase(prefixed, 'base58btc') }
  }
  // Makes the emailed codes of `did` look `minutes` old on both PDSes (an expired code without
  // waiting 15 minutes): the PDS checks a code's age from this row.
  const ageEmailTokens = async (did, minutes) => {
    const at = new Date(Date.now() - minutes * 60_000).toISOString()
    let aged = 0
    for (const p of pdsList.filter((e) => !e.stopped)) {
      const r = await p.pds.ctx.accountManager.db.db.updateTable('email_token').set({ requestedAt: at }).where('did', '=', did).executeTakeFirst()
      aged += Number(r.numUpdatedRows ?? 0)
    }
    return aged
  }
  // What a hacked PDS could do on its own: sign, with its PLC rotation key, an operation that
  // points the account at `endpoint` and drops every other rotation key (the person's), keeping
  // its own, and send it to the directory. No password, no emailed code.
  const hostilePlcOp = async (did, endpoint) => {
    const data = await (await fetch(`${plcUrl}/${did}/data`)).json()
    const audit = await (await fetch(`${plcUrl}/${did}/log/audit`)).json()
    const prev = audit.filter((e) => !e.nullified).at(-1).cid
    const pds = pdsList.filter((e) => !e.stopped).find((p) => data.rotationKeys.includes(p.pds.ctx.plcRotationKey.did()))
    if (!pds) throw new Error(`no test PDS holds a rotation key of ${did}`)
    const pdsKey = pds.pds.ctx.plcRotationKey
    const op = await plcLib.signOperation(
      {
        type: 'plc_operation',
        rotationKeys: [pdsKey.did()],
        verificationMethods: data.verificationMethods,
        alsoKnownAs: data.alsoKnownAs,
        services: { ...data.services, atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint } },
        prev,
      },
      pdsKey,
    )
    const r = await fetch(`${plcUrl}/${did}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(op) })
    if (!r.ok) throw new Error(`PLC refused the hostile operation: ${r.status} ${await r.text()}`)
    const after = await (await fetch(`${plcUrl}/${did}/log/audit`)).json()
    return { cid: after.at(-1).cid, operation: op, pdsKey: pdsKey.did() }
  }
  const control = await listenHttp(controlHandler({ createDidWithoutPds, createDidWithKey, ageEmailTokens, hostilePlcOp, newPds, stopPds, restartPds }))
  cleanups.push(() => closeHttp(control))

  const info = {
    plc: plcUrl,
    resolver: `http://${HOST}:${resolver.address().port}`,
    control: `http://${HOST}:${control.address().port}`,
    pds: [pds1, pds2].map((p) => ({ url: p.url, did: p.did, domain: p.domain, adminPassword: p.adminPassword })),
  }
  if (shuttingDown) return // told to stop while starting: announce nothing
  const line = JSON.stringify(info)
  if (opts.info) await writeInfoAtomically(path.resolve(opts.info), line)
  process.stdout.write(line + '\n')
  log(`ready in ${Math.round(performance.now() - started)} ms: plc ${info.plc}, pds1 ${pds1.url}, pds2 ${pds2.url}, resolver ${info.resolver}, control ${info.control}`)
}

if (isMainThread) {
  process.on('SIGTERM', () => shutdown(0, 'SIGTERM; shutting down'))
  process.on('SIGINT', () => shutdown(0, 'SIGINT; shutting down'))
  process.on('uncaughtException', (err) => shutdown(1, `uncaught exception: ${err?.stack ?? err}`))
  // Logged, not fatal: a stray background rejection inside a PDS should not take the
  // whole test run down (Node's default would exit).
  process.on('unhandledRejection', (err) => log('unhandled rejection:', err?.stack ?? err))

  startup = main()
  startup.catch((err) => shutdown(1, `startup failed: ${err?.stack ?? err}`))
}
