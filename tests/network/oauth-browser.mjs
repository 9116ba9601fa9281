// A browser robot for OAuth tests: what `$BROWSER` points at (through oauth-browser.sh).
//
//   oauth-browser.sh <authorize-url>
//
// Opens the authorize URL in headless Chromium (playwright-core, /usr/bin/chromium), signs in on
// the reference PDS's authorize page (@atproto/oauth-provider-ui), approves or denies the consent
// screen, and then follows the PDS's redirect to the client's redirect URI the way a desktop would:
//
// - an http(s) redirect URI (a loopback `http://127.0.0.1:<port>/...`) is loaded in the browser,
//   and the robot exits 0 once that page has loaded;
// - a custom-scheme redirect URI (`com.example.app:/oauth/callback?code=...`) cannot be opened by
//   a browser: the robot catches the navigation and hands the URL to the command in
//   STRATOS_TEST_DEEP_LINK_HANDLER (one argument: the URL), as an OS would, waits for it to exit
//   and exits 0; with no handler set it prints the URL on stdout and exits 0.
//
// Environment:
//   STRATOS_TEST_OAUTH_USERNAME   handle or email to type (not needed when the page already shows
//                                 the account, from the request's login_hint)
//   STRATOS_TEST_OAUTH_PASSWORD   the account password (required)
//   STRATOS_TEST_OAUTH_ACTION     approve (default) | deny ("Deny access" on the consent screen;
//                                 the PDS then redirects with error=access_denied)
//   STRATOS_TEST_DEEP_LINK_HANDLER  executable run with a custom-scheme redirect URL
//   STRATOS_TEST_OAUTH_LOG        file to append a log of each step and the final URL to; on a
//                                 failure the page is saved beside it as <log>.png and <log>.html
//   STRATOS_TEST_OAUTH_TIMEOUT_MS overall limit (default 60000)
//   STRATOS_TEST_CHROMIUM         Chromium binary (default /usr/bin/chromium)
//
// Exit status: 0 when the redirect was delivered; 1 on any failure (message on stderr);
// 128+n when killed by signal n.

import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

// Schemes a browser handles itself; a navigation to any other scheme is a deep link.
const BROWSER_SCHEMES = new Set([
  'http:',
  'https:',
  'about:',
  'data:',
  'blob:',
  'javascript:',
  'chrome:',
  'chrome-error:',
  'chrome-extension:',
  'devtools:',
  'file:',
  'ws:',
  'wss:',
])

const env = process.env
const startedAt = Date.now()
const timeoutMs = Number(env.STRATOS_TEST_OAUTH_TIMEOUT_MS) > 0
  ? Number(env.STRATOS_TEST_OAUTH_TIMEOUT_MS)
  : 60_000
const deadline = startedAt + timeoutMs
const logPath = env.STRATOS_TEST_OAUTH_LOG || ''
const remaining = () => Math.max(1, deadline - Date.now())
// Bound for acting on an element that is already on screen (fill, click).
const actTimeout = () => Math.min(remaining(), 10_000)

class RobotError extends Error {}

function log(message) {
  if (!logPath) return
  const line = `${new Date().toISOString()} +${Date.now() - startedAt}ms ${message}\n`
  try {
    fs.mkdirSync(path.dirname(path.resolve(logPath)), { recursive: true })
    fs.appendFileSync(logPath, line)
  } catch {
    // Logging must never be what fails a run.
  }
}

// Promise.race that never leaves an unhandled rejection behind (the losers are often waits that
// fail later, when the page navigates away or the browser closes).
function race(promises) {
  for (const p of promises) p.catch(() => {})
  return Promise.race(promises)
}

function deferred() {
  let resolve
  const promise = new Promise((r) => (resolve = r))
  return { promise, resolve }
}

// -- State shared with the failure path ------------------------------------------------------

let context = null
let page = null
let userDataDir = null
let finishing = false
let artifacts = '' // what saveArtifacts() wrote, for the failure message

// Closes Chromium, then removes its profile; one run however often it is called.
let cleaning = null
function cleanup() {
  cleaning ??= (async () => {
    const ctx = context
    context = null
    if (ctx) await race([ctx.close().catch(() => {}), new Promise((r) => setTimeout(r, 5_000))])
    if (userDataDir) {
      try {
        fs.rmSync(userDataDir, { recursive: true, force: true })
      } catch {}
      userDataDir = null
    }
  })()
  return cleaning
}

async function saveArtifacts() {
  if (!logPath || !context || !page || page.isClosed()) return
  try {
    await page.screenshot({ path: `${logPath}.png`, fullPage: true, timeout: 5_000 })
    log(`screenshot: ${logPath}.png`)
    artifacts = `, screenshot ${logPath}.png`
  } catch (err) {
    log(`screenshot failed: ${err.message.split('\n')[0]}`)
  }
  try {
    const html = await race([
      page.content(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 5_000)),
    ])
    fs.writeFileSync(`${logPath}.html`, html)
    log(`page HTML: ${logPath}.html`)
    artifacts += `, page ${logPath}.html`
  } catch (err) {
    log(`saving the page HTML failed: ${err.message.split('\n')[0]}`)
  }
}

// What the page shows, for error messages: its URL, card title and any alert.
async function describePage() {
  if (!context || !page || page.isClosed()) return ''
  try {
    const info = await race([
      page.evaluate(() => {
        const text = (el) => (el ? el.textContent.replace(/\s+/g, ' ').trim() : '')
        return {
          url: location.href,
          title: document.title,
          alerts: [...document.querySelectorAll('[role="alert"]')].map(text).filter(Boolean),
        }
      }),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 3_000)),
    ])
    let s = ` (page: ${info.url}, title "${info.title}"`
    if (info.alerts.length) s += `, alert: "${info.alerts.join(' | ')}"`
    return `${s})`
  } catch {
    return ` (page: ${page.url()})`
  }
}

async function fail(err) {
  if (finishing) return
  finishing = true
  // Playwright's messages carry a call log after the first line; the log file gets it all.
  const message =
    err instanceof RobotError ? err.message : `${err?.message || err}`.split('\n')[0]
  if (!(err instanceof RobotError)) log(`error: ${err?.stack || err}`)
  const where = await describePage()
  log(`FAILED: ${message}${where}`)
  await saveArtifacts()
  await cleanup()
  process.stderr.write(
    `oauth-browser: ${message}${where}` +
      (logPath ? `\noauth-browser: log ${logPath}${artifacts}\n` : '\n'),
  )
  process.exit(1)
}

async function succeed() {
  if (finishing) return
  finishing = true
  await cleanup()
  log(`done in ${Date.now() - startedAt} ms`)
  process.exit(0)
}

for (const [signal, n] of [
  ['SIGTERM', 15],
  ['SIGINT', 2],
  ['SIGHUP', 1],
]) {
  process.on(signal, async () => {
    if (finishing) return
    finishing = true
    log(`killed by ${signal}`)
    await cleanup()
    process.exit(128 + n)
  })
}

// Backstop: the bounded waits below normally fail first, saying what they waited for.
const watchdog = setTimeout(
  () => fail(new RobotError(`gave up after ${timeoutMs} ms`)),
  timeoutMs + 2_000,
)

// A wait bounded by the deadline, failing with a readable message instead of Playwright's.
async function within(promise, what) {
  const message = `timed out ${what} (limit ${timeoutMs} ms)`
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new RobotError(message)), remaining())
  })
  try {
    return await race([promise, timeout])
  } catch (err) {
    if (err?.name === 'TimeoutError') throw new RobotError(message)
    throw err
  } finally {
    clearTimeout(timer)
  }
}

// -- The redirect out of the authorization server ---------------------------------------------

// Resolved with {kind: 'deep-link' | 'http', url} by the first navigation that leaves the
// authorization server: either a navigation request to a scheme the browser does not handle
// (Chromium emits it, then aborts it with net::ERR_ABORTED), or a 3xx whose Location has such
// a scheme (the same event, seen one step earlier; whichever comes first wins), or a navigation
// request to an http(s) origin other than the authorize page's.
const redirect = deferred()
let redirected = null

function onRedirect(kind, url, how) {
  if (redirected) return
  redirected = { kind, url }
  log(`redirect (${how}): ${url}`)
  redirect.resolve(redirected)
}

function isMainFrame(request) {
  try {
    return request.frame().parentFrame() === null
  } catch {
    return false
  }
}

function watchRedirects(ctx, authOrigin) {
  ctx.on('request', (request) => {
    if (!request.isNavigationRequest() || !isMainFrame(request)) return
    const url = request.url()
    let parsed
    try {
      parsed = new URL(url)
    } catch {
      return
    }
    if (!BROWSER_SCHEMES.has(parsed.protocol)) onRedirect('deep-link', url, 'navigation request')
    else if (
      (parsed.protocol === 'http:' || parsed.protocol === 'https:') &&
      parsed.origin !== authOrigin
    )
      onRedirect('http', url, 'navigation request')
  })
  ctx.on('response', (response) => {
    const status = response.status()
    const request = response.request()
    if (request.isNavigationRequest() && isMainFrame(request)) {
      log(`navigation ${status} ${response.url()}`)
    } else if (response.url().includes('/~api/')) {
      log(`api ${request.method()} ${status} ${new URL(response.url()).pathname}`)
    }
    if (status < 300 || status > 399 || !request.isNavigationRequest()) return
    const location = response.headers().location
    if (!location) return
    try {
      const target = new URL(location, response.url())
      // An absolute Location is passed on verbatim, not as the URL parser re-serializes it.
      const url = /^[a-z][a-z0-9+.-]*:/i.test(location) ? location : target.href
      if (!BROWSER_SCHEMES.has(target.protocol)) onRedirect('deep-link', url, `${status} Location`)
    } catch {}
  })
  ctx.on('requestfailed', (request) => {
    if (request.isNavigationRequest() && isMainFrame(request)) {
      log(`navigation failed: ${request.url()}: ${request.failure()?.errorText}`)
    }
  })
}

// -- The authorize page -------------------------------------------------------------------------
//
// Selectors from @atproto/oauth-provider-ui 0.10.4, the UI of @atproto/oauth-provider 0.22.9 that
// @atproto/pds 0.5.35 ships (sources in node_modules/@atproto/oauth-provider-ui/dist/*.js.map):
// - src/components/sign-in-form.tsx: inputs name="username" (readOnly when the request has a
//   login_hint) and name="password" ("the rendered `name` ... is a public contract"), name="otp"
//   for a second factor; submit button "Sign in".
// - src/components/authenticate-welcome-view.tsx: "Sign in" button (no login_hint, sign-up on).
// - src/components/sign-in-picker.tsx: aria-label "Sign in to an account that is not listed".
// - src/components/consent-form.tsx: submit "Authorize", type="button" "Deny access".
// - src/components/reactivate-account-view.tsx: "Yes, reactivate my account".
// - src/components/feedback/error-notice.tsx, error-view.tsx: errors have role="alert".
// - src/authorization-page.tsx: after the consent/reject API call the page waits 500 ms, then
//   location.replace()s /oauth/authorize/redirect, which answers 303 to the redirect URI.
// Texts are English: the context's locale is en-US.

function locators(p) {
  const password = p.locator('input[name="password"]')
  const signInForm = p.locator('form').filter({ has: password })
  // The consent form: the one whose submit button reads "Authorize" (`has` is relative to the
  // form, so the inner locator must not start with "form").
  const consentForm = p.locator('form').filter({
    has: p.locator('button[type="submit"]', { hasText: /^\s*Authorize\s*$/ }),
  })
  const consentSubmit = consentForm.locator('button[type="submit"]')
  return {
    username: p.locator('input[name="username"]'),
    password,
    otp: p.locator('input[name="otp"]'),
    signInSubmit: signInForm.locator('button[type="submit"]'),
    consentSubmit,
    consentDeny: consentForm.locator('button').filter({ hasText: /^\s*Deny access\s*$/ }),
    // Welcome screen (no login_hint, sign-up available): "Sign in" / "Create a new account".
    welcomeSignIn: p.getByRole('button', { name: 'Sign in', exact: true }),
    // Account picker (remembered sessions; not expected in a fresh profile).
    pickerOther: p.locator('button[aria-label="Sign in to an account that is not listed"]'),
    reactivate: p.getByRole('button', { name: /reactivate/i }),
    alert: p.locator('[role="alert"]').filter({ hasText: /\S/ }),
  }
}

// Click or fill an element that should be on screen, failing with a readable message.
async function act(what, fn) {
  try {
    await fn({ timeout: actTimeout() })
  } catch (err) {
    if (err instanceof RobotError) throw err
    throw new RobotError(`could not ${what}: ${err.message.split('\n')[0]}`)
  }
}

async function visible(locator) {
  try {
    return await locator.first().isVisible()
  } catch {
    return false
  }
}

async function currentView(l) {
  if (await visible(l.alert)) return 'alert'
  if (await visible(l.password)) return 'sign-in'
  if (await visible(l.consentSubmit)) return 'consent'
  if (await visible(l.pickerOther)) return 'picker'
  if (await visible(l.welcomeSignIn)) return 'welcome'
  if (await visible(l.reactivate)) return 'reactivate'
  return 'unknown'
}

async function alertText(l) {
  try {
    const texts = await l.alert.allTextContents()
    return texts.map((t) => t.replace(/\s+/g, ' ').trim()).filter(Boolean).join(' | ')
  } catch {
    return ''
  }
}

async function signIn(l, { username, password }) {
  if (password == null || password === '') {
    throw new RobotError('the sign-in page asks for a password: set STRATOS_TEST_OAUTH_PASSWORD')
  }
  const field = l.username.first()
  const editable = (await field.count()) > 0 && (await field.isEditable())
  if (editable) {
    if (!username) {
      throw new RobotError(
        'the sign-in page asks for a username: set STRATOS_TEST_OAUTH_USERNAME',
      )
    }
    await act('type the username', (o) => field.fill(username, o))
    log(`typed username ${username}`)
  } else {
    const shown = (await field.count()) > 0 ? await field.inputValue() : ''
    log(`username shown read-only: ${shown}`)
    if (username && shown && username.replace(/^@/, '').toLowerCase() !== shown.toLowerCase()) {
      log(`note: STRATOS_TEST_OAUTH_USERNAME is ${username}, the page shows ${shown}`)
    }
  }
  await act('type the password', (o) => l.password.first().fill(password, o))
  log('typed password')
  await act('press "Sign in"', (o) => l.signInSubmit.first().click(o))
  log('pressed "Sign in"')

  // The form leaves the page once signed in; it stays, with an alert, when the credentials
  // are refused; a second factor field appears when the server asks for one.
  const outcome = await within(
    race([
      l.password.first().waitFor({ state: 'detached', timeout: remaining() }).then(() => 'ok'),
      l.alert.first().waitFor({ state: 'visible', timeout: remaining() }).then(() => 'alert'),
      l.otp.first().waitFor({ state: 'visible', timeout: remaining() }).then(() => 'otp'),
      redirect.promise.then(() => 'redirect'),
    ]),
    'waiting for the sign-in to complete',
  )
  if (outcome === 'alert') throw new RobotError(`sign-in refused: ${await alertText(l)}`)
  if (outcome === 'otp') {
    throw new RobotError('the PDS asks for a second sign-in factor, which the robot cannot give')
  }
  log('signed in')
}

async function runFlow(target, credentials, action) {
  log(`open ${target}`)
  const response = await page.goto(target, { waitUntil: 'domcontentloaded', timeout: remaining() })
  log(`authorize page: ${response ? response.status() : 'no response'} ${page.url()}`)

  const l = locators(page)
  const anyView = l.password
    .or(l.consentSubmit)
    .or(l.welcomeSignIn)
    .or(l.pickerOther)
    .or(l.reactivate)
    .or(l.alert)
    .first()

  let signedIn = false
  for (let step = 0; step < 10 && !redirected; step++) {
    await within(
      race([anyView.waitFor({ state: 'visible', timeout: remaining() }), redirect.promise]),
      'waiting for the sign-in or consent screen',
    )
    if (redirected) return
    const view = await currentView(l)
    log(`view: ${view}`)
    switch (view) {
      case 'alert':
        throw new RobotError(`the authorize page shows an error: ${await alertText(l)}`)
      case 'welcome':
        await act('press "Sign in" on the welcome screen', (o) => l.welcomeSignIn.first().click(o))
        log('pressed "Sign in" on the welcome screen')
        await within(
          race([l.password.first().waitFor({ timeout: remaining() }), redirect.promise]),
          'waiting for the sign-in form',
        )
        break
      case 'picker':
        await act('press "Another account"', (o) => l.pickerOther.first().click(o))
        log('pressed "Another account" on the account picker')
        await within(
          race([l.password.first().waitFor({ timeout: remaining() }), redirect.promise]),
          'waiting for the sign-in form',
        )
        break
      case 'sign-in':
        if (signedIn) throw new RobotError('the sign-in form came back after signing in')
        await signIn(l, credentials)
        signedIn = true
        break
      case 'consent': {
        const button = action === 'deny' ? l.consentDeny : l.consentSubmit
        const label = action === 'deny' ? 'Deny access' : 'Authorize'
        await act(`press "${label}" on the consent screen`, (o) => button.first().click(o))
        log(`pressed "${label}" on the consent screen`)
        // The page posts the decision, waits 500 ms, then location.replace()s to
        // /oauth/authorize/redirect, which answers 303 to the redirect URI.
        const outcome = await within(
          race([
            redirect.promise.then(() => 'redirect'),
            l.alert.first().waitFor({ state: 'visible', timeout: remaining() }).then(() => 'alert'),
          ]),
          `waiting for the redirect after "${label}"`,
        )
        if (outcome === 'alert') {
          throw new RobotError(`"${label}" failed: ${await alertText(l)}`)
        }
        return
      }
      case 'reactivate':
        throw new RobotError('the account is deactivated: the PDS offers to reactivate it')
      default:
        throw new RobotError('the authorize page shows nothing the robot knows')
    }
  }
  if (!redirected) throw new RobotError('too many screens without a redirect')
}

// -- Delivering the redirect --------------------------------------------------------------------

function runHandler(handler, url) {
  return new Promise((resolve, reject) => {
    log(`run deep-link handler: ${handler} ${url}`)
    let child
    try {
      child = spawn(handler, [url], { stdio: ['ignore', 'inherit', 'inherit'] })
    } catch (err) {
      reject(new RobotError(`cannot run STRATOS_TEST_DEEP_LINK_HANDLER ${handler}: ${err.message}`))
      return
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new RobotError(`the deep-link handler ${handler} did not exit in time`))
    }, remaining())
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(new RobotError(`cannot run STRATOS_TEST_DEEP_LINK_HANDLER ${handler}: ${err.message}`))
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      log(`deep-link handler exited: ${signal ?? code}`)
      if (code === 0) resolve()
      else reject(new RobotError(`the deep-link handler ${handler} exited with ${signal ?? code}`))
    })
  })
}

async function loadHttpRedirect(url) {
  const origin = new URL(url).origin
  const failed = deferred()
  const onFailed = (request) => {
    if (!request.isNavigationRequest() || !isMainFrame(request)) return
    let o
    try {
      o = new URL(request.url()).origin
    } catch {
      return
    }
    if (o === origin) failed.resolve(request.failure()?.errorText || 'failed')
  }
  context.on('requestfailed', onFailed)
  // waitForURL also rejects when the navigation fails (e.g. net::ERR_CONNECTION_REFUSED).
  const loaded = page
    .waitForURL((u) => u.origin === origin, { waitUntil: 'load', timeout: remaining() })
    .then(
      () => null,
      (err) => err.message.split('\n')[0].replace(/^page\.waitForURL: /, ''),
    )
  const error = await within(race([loaded, failed.promise]), `waiting for ${url} to load`)
  context.off('requestfailed', onFailed)
  if (error) throw new RobotError(`the redirect URI did not load: ${url}: ${error}`)
  log(`loaded ${page.url()}`)
}

// -- Main -----------------------------------------------------------------------------------------

async function main() {
  const target = process.argv.slice(2).find((a) => !a.startsWith('-'))
  if (!target) throw new RobotError('usage: oauth-browser.sh <authorize-url>')
  let authOrigin
  try {
    authOrigin = new URL(target).origin
  } catch {
    throw new RobotError(`not a URL: ${target}`)
  }
  const action = (env.STRATOS_TEST_OAUTH_ACTION || 'approve').toLowerCase()
  if (action !== 'approve' && action !== 'deny') {
    throw new RobotError(`STRATOS_TEST_OAUTH_ACTION must be approve or deny, not ${action}`)
  }
  const credentials = {
    username: env.STRATOS_TEST_OAUTH_USERNAME || '',
    password: env.STRATOS_TEST_OAUTH_PASSWORD,
  }
  log(`start: action ${action}, url ${target}`)

  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stratos-oauth-browser-'))
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: env.STRATOS_TEST_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    locale: 'en-US',
    viewport: { width: 800, height: 900 },
    timeout: remaining(),
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  })
  log(`chromium ${context.browser()?.version() ?? ''} started`)
  page = context.pages()[0] ?? (await context.newPage())
  page.setDefaultTimeout(remaining())
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return
    const text = m.text()
    if (text.startsWith('Uncompiled message detected')) return // lingui noise
    log(`console.${m.type()}: ${text.split('\n')[0].slice(0, 300)}`)
  })
  page.on('pageerror', (err) => log(`page error: ${err.message}`))
  watchRedirects(context, authOrigin)

  const flow = runFlow(target, credentials, action)
  flow.catch(() => {}) // after a redirect its pending waits may fail; that is fine
  await race([flow, redirect.promise]) // every wait in the flow is bounded by the deadline
  const { kind, url } = await within(redirect.promise, 'waiting for the redirect')
  log(`final URL: ${url}`)

  if (kind === 'http') {
    await loadHttpRedirect(url)
    return
  }
  const handler = env.STRATOS_TEST_DEEP_LINK_HANDLER
  if (!handler) {
    process.stdout.write(`${url}\n`)
    log('printed the URL (no STRATOS_TEST_DEEP_LINK_HANDLER)')
    return
  }
  // The browser has nothing left to do; close it while the handler runs.
  const closing = cleanup()
  await runHandler(handler, url)
  await closing
}

main().then(
  () => {
    clearTimeout(watchdog)
    return succeed()
  },
  (err) => {
    clearTimeout(watchdog)
    return fail(err)
  },
)
