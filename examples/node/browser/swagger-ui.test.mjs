// Seed 001 as its users do it: in a real headless Chromium, open /docs, authorize with the
// admin's token, expand `PUT /user/users/mfa/reset`, "Try it out", put the user's id in the
// body, "Execute"; then read the answer shown in the page and the audit event in the store.
// A screenshot of the page is kept in target/artifacts/swagger-reset.png.
//
// Chromium: CHROMIUM_PATH, else /usr/bin/chromium (Debian's `chromium` package); Playwright
// drives it and downloads no browser of its own (scripts/test-browser.sh).

import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { chromium } from 'playwright-core'

import { listen } from '../server.mjs'
import { totp } from '../../../bindings/node/tests/support/totp.mjs'

const { Core } = createRequire(import.meta.url)('../../../bindings/node')

const ARTIFACTS = fileURLToPath(new URL('../../../target/artifacts/', import.meta.url))
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
/** Headless as root on a CI machine: no sandbox, no GPU, nothing that reaches outside. */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
/** Bounds every wait: the whole test takes a few seconds, a stuck page fails instead of hanging. */
const WAIT_MS = 20_000

let core
let server
let base
let profile
let context
const id = {}
const tok = { ann: 'token-ann-admin', bob: 'token-bob-member' }

before(async () => {
  core = await Core.open(':memory:', Buffer.alloc(32, 3), { manualClock: new Date(1_700_000_000_000) })
  const org = await core.createOrg('Acme')
  id.ann = (await core.createUser(org.id, 'ann@acme.test', 'admin')).id
  id.bob = (await core.createUser(org.id, 'bob@acme.test', 'member')).id
  const { secret } = await core.beginEnrollment(id.bob)
  await core.confirmEnrollment(id.bob, totp(secret, Math.floor(core.now().getTime() / 1000)))
  server = await listen(core, new Map([[tok.ann, id.ann], [tok.bob, id.bob]]))
  base = `http://127.0.0.1:${server.address().port}`
  profile = await mkdtemp(join(tmpdir(), 'mfa-chromium-'))
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 1400 },
    timeout: WAIT_MS,
  })
  context.setDefaultTimeout(WAIT_MS)
})

after(async () => {
  await context?.close()
  server?.close()
  if (profile !== undefined) await rm(profile, { recursive: true, force: true })
})

test('seed 001 through Swagger UI: authorize, try it out, execute; the answer and the audit event', async () => {
  const page = context.pages()[0] ?? (await context.newPage())
  const requests = []
  const errors = []
  page.on('request', (req) => requests.push(req.url()))
  page.on('pageerror', (err) => errors.push(err.message))
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()) })

  await page.goto(`${base}/docs`)
  const operation = page.locator('#operations-user-resetUserMfa')
  await operation.waitFor()

  // Authorize: the bearer scheme's value is the admin's token.
  await page.locator('.auth-wrapper button.authorize').click()
  const bearer = page.locator('.auth-container').filter({ hasText: 'bearerAuth' })
  await bearer.locator('input#auth-bearer-value').fill(tok.ann)
  await bearer.locator('button.authorize').click()
  await bearer.getByText('Authorized', { exact: true }).waitFor()
  await bearer.locator('button.btn-done').click()
  await page.locator('.dialog-ux').waitFor({ state: 'detached' })

  // The operation, as seed 001 describes: expand it, "Try it out", the user id in the body, "Execute".
  await operation.locator('.opblock-summary-control').click()
  await operation.getByRole('button', { name: 'Try it out' }).click()
  const body = operation.locator('textarea.body-param__text')
  assert.match(await body.inputValue(), /"userId"/, 'the body starts from the example value')
  await body.fill(JSON.stringify({ userId: id.bob }, null, 2))
  await operation.getByRole('button', { name: 'Execute' }).click()

  const live = operation.locator('.live-responses-table tr.response')
  await live.waitFor()
  assert.equal((await live.locator('.response-col_status').innerText()).trim(), '200')
  const shown = JSON.parse(await live.locator('.response-col_description pre.microlight').first().innerText())
  const status = await core.mfaStatus(id.bob)
  assert.equal(status.state, 'enrollment_required')
  assert.deepEqual(shown, { userId: id.bob, state: 'enrollment_required', deadline: status.deadline.toISOString(), auditSeq: shown.auditSeq })
  // The page shows the request it sent: the admin's Authorization header on the seed's path.
  const curl = await operation.locator('.curl-command').innerText()
  assert.match(curl, /-X 'PUT'/)
  assert.ok(curl.includes(`${base}/user/users/mfa/reset`), curl)
  assert.ok(curl.includes(`Authorization: Bearer ${tok.ann}`), curl)

  // The audit trail has the reset, by the admin, at the seq the answer gave.
  const events = await core.auditEvents({ action: 'mfa.reset', target: id.bob })
  assert.equal(events.length, 1)
  assert.equal(events[0].seq, shown.auditSeq)
  assert.equal(events[0].actor, id.ann)
  assert.equal(events[0].outcome, 'success')
  assert.equal((await core.verifyAudit()).ok, true)

  // The picture: from the page's header (authorized) to the answer shown for the reset.
  await mkdir(ARTIFACTS, { recursive: true })
  const bottom = await live.evaluate((el) => el.getBoundingClientRect().bottom + window.scrollY)
  await page.screenshot({ path: join(ARTIFACTS, 'swagger-reset.png'), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: Math.ceil(bottom) + 16 } })

  // Everything the page loaded came from this host: no CDN, no outside validator.
  assert.ok(requests.length > 0)
  for (const url of requests) assert.ok(url.startsWith(`${base}/`), `outside request: ${url}`)
  assert.deepEqual(errors, [])
})
