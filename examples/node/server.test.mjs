// The example host on an ephemeral loopback port: every endpoint and every status code its
// seed documents, plus the host's own 401/404/405 and the Retry-After of 429; /openapi.json
// checked by an OpenAPI validator and against what the router answers; the /docs files.

import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { readFile } from 'node:fs/promises'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'

import SwaggerParser from '@apidevtools/swagger-parser'

import { createApp, listen, ROUTES, seedDemo, storeFromEnv } from './server.mjs'
import { totp, wrongTotp } from '../../bindings/node/tests/support/totp.mjs'

const { Core } = createRequire(import.meta.url)('../../bindings/node')

const T0 = 1_700_000_010
const KEY = Buffer.alloc(32, 9)
const UNKNOWN_ID = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'

let core
let server
let base
const tok = {}
const id = {}
const secrets = {}

const nowOf = () => Math.floor(core.now().getTime() / 1000)

async function enroll(name) {
  const { secret } = await core.beginEnrollment(id[name])
  await core.confirmEnrollment(id[name], totp(secret, nowOf()))
  secrets[name] = secret
}

before(async () => {
  core = await Core.open(':memory:', KEY, { manualClock: new Date(T0 * 1000) })
  const acme = await core.createOrg('Acme', { resetLimitPerHour: 100 })
  const tight = await core.createOrg('Tight', { resetLimitPerHour: 1 })
  const other = await core.createOrg('Other')
  const people = [
    ['olga', acme, 'owner'], ['ann', acme, 'admin'], ['bob', acme, 'member'], ['cy', acme, 'member'],
    ['dee', acme, 'member'], ['tom', tight, 'owner'], ['tim', tight, 'member'], ['tia', tight, 'member'],
    ['zed', other, 'member'], ['eve', acme, 'member'],
  ]
  const tokens = new Map()
  for (const [name, org, role] of people) {
    id[name] = (await core.createUser(org.id, `${name}@test.example`, role)).id
    tok[name] = `token-${name}`
    tokens.set(tok[name], id[name])
  }
  for (const name of ['bob', 'cy', 'tim', 'tia', 'zed', 'eve']) await enroll(name)
  server = await listen(core, tokens)
  base = `http://127.0.0.1:${server.address().port}`
})

after(() => server.close())

/** A request as the seeds' clients send it; resolves to { status, headers, body }. */
async function call(method, path, { token, body, headers = {} } = {}) {
  const init = { method, headers: { accept: 'application/json', ...headers } }
  if (token !== undefined) init.headers.authorization = `Bearer ${token}`
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json'
    init.body = typeof body === 'string' ? body : JSON.stringify(body)
  }
  const res = await fetch(base + path, init)
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) }
}

/** An error response: problem+json whose `code`, `status` and `instance` agree. */
function assertProblem(res, status, code, path) {
  assert.equal(res.status, status, JSON.stringify(res.body))
  assert.equal(res.headers.get('content-type'), 'application/problem+json')
  assert.equal(res.body.status, status)
  assert.equal(res.body.code, code)
  assert.equal(res.body.type, `urn:mfa-core:error:${code}`)
  assert.equal(typeof res.body.title, 'string')
  assert.equal(typeof res.body.detail, 'string')
  if (path !== undefined) assert.equal(res.body.instance, path)
}

describe('seed 000: PUT /api/v1/ManagedAccount/ResetMFA/{id}', () => {
  const path = (who) => `/api/v1/ManagedAccount/ResetMFA/${who}`

  test('200 with no body, and the reset happened', async () => {
    const res = await call('PUT', path(id.bob), { token: tok.ann })
    assert.equal(res.status, 200)
    assert.equal(res.body, undefined)
    const status = await core.mfaStatus(id.bob)
    assert.equal(status.state, 'enrollment_required')
    assert.equal(status.credentialEpoch, 1)
  })

  test('400: MFA not enabled, or a malformed id', async () => {
    assertProblem(await call('PUT', path(id.dee), { token: tok.ann }), 400, 'mfa_not_enabled', path(id.dee))
    assertProblem(await call('PUT', path('nope'), { token: tok.ann }), 400, 'invalid_input')
  })

  test('401: no token, or an unknown one', async () => {
    const missing = await call('PUT', path(id.bob))
    assertProblem(missing, 401, 'unauthenticated')
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer')
    assertProblem(await call('PUT', path(id.bob), { token: 'forged' }), 401, 'unauthenticated')
  })

  test('403: not an administrator; 404: no such user in the org', async () => {
    assertProblem(await call('PUT', path(id.cy), { token: tok.bob }), 403, 'forbidden')
    assertProblem(await call('PUT', path(id.zed), { token: tok.ann }), 404, 'not_found')
    assertProblem(await call('PUT', path(UNKNOWN_ID), { token: tok.ann }), 404, 'not_found')
  })
})

describe('seed 001: PUT /user/users/mfa/reset', () => {
  const path = '/user/users/mfa/reset'

  test('an admin names the user in the body: 200 with the new state and the audit event\'s seq', async () => {
    const res = await call('PUT', path, { token: tok.ann, body: { userId: id.eve } })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(res.headers.get('content-type'), 'application/json')
    const status = await core.mfaStatus(id.eve)
    assert.equal(status.state, 'enrollment_required')
    assert.deepEqual(res.body, { userId: id.eve, state: 'enrollment_required', deadline: status.deadline.toISOString(), auditSeq: res.body.auditSeq })
    const [event] = await core.auditEvents({ afterSeq: res.body.auditSeq - 1, limit: 1 })
    assert.equal(event.seq, res.body.auditSeq)
    assert.equal(event.action, 'mfa.reset')
    assert.equal(event.outcome, 'success')
    assert.equal(event.actor, id.ann)
    assert.equal(event.target, id.eve)
  })

  test('403 for a member, and the refusal is audited; 401 without a token', async () => {
    await enroll('eve')
    const before = (await core.auditCheckpoint()).seq
    assertProblem(await call('PUT', path, { token: tok.bob, body: { userId: id.eve } }), 403, 'forbidden', path)
    assert.equal((await core.mfaStatus(id.eve)).state, 'enrolled')
    const [denied] = await core.auditEvents({ afterSeq: before, actor: id.bob })
    assert.equal(denied.outcome, 'denied')
    assert.equal(denied.code, 'forbidden')
    assert.equal(denied.target, id.eve)
    const missing = await call('PUT', path, { body: { userId: id.eve } })
    assertProblem(missing, 401, 'unauthenticated', path)
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer')
    assertProblem(await call('PUT', path, { headers: { 'x-api-key': 'forged' }, body: { userId: id.eve } }), 401, 'unauthenticated')
  })

  test('400 problem+json for a body that does not name one user by id', async () => {
    for (const body of ['{"userId": ', '[1]', '"x"', {}, { userId: 1 }, { userId: null }, { userId: 'value 1' }, { userId: id.eve, role: 'owner' }, { id: id.eve }]) {
      assertProblem(await call('PUT', path, { token: tok.ann, body }), 400, 'invalid_input', path)
    }
    assertProblem(await call('PUT', path, { token: tok.ann }), 400, 'invalid_input', path)
    assert.equal((await core.mfaStatus(id.eve)).state, 'enrolled')
  })

  test('404 for an unknown user or one of another org; 400 when MFA is not enabled', async () => {
    assertProblem(await call('PUT', path, { token: tok.ann, body: { userId: UNKNOWN_ID } }), 404, 'not_found', path)
    assertProblem(await call('PUT', path, { token: tok.ann, body: { userId: id.zed } }), 404, 'not_found', path)
    assertProblem(await call('PUT', path, { token: tok.ann, body: { userId: id.dee } }), 400, 'mfa_not_enabled', path)
  })
})

describe('seed 002: POST /mfa/reset', () => {
  test('an OWNER or ADMINISTRATOR resets another user by resetUserId: 200', async () => {
    const res = await call('POST', '/mfa/reset', { token: tok.olga, body: { resetUserId: id.cy } })
    assert.equal(res.status, 200)
    assert.deepEqual(res.body, { success: true, message: 'MFA reset successfully' })
    assert.equal((await core.mfaStatus(id.cy)).state, 'enrollment_required')
  })

  test('a self-reset (no resetUserId) needs the user\'s own code: 403 without or wrong, 200 with', async () => {
    await enroll('cy')
    assertProblem(await call('POST', '/mfa/reset', { token: tok.cy }), 403, 'forbidden', '/mfa/reset')
    assertProblem(await call('POST', '/mfa/reset', { token: tok.cy, body: { code: wrongTotp(secrets.cy, nowOf()) } }), 403, 'forbidden')
    core.setTime(new Date((nowOf() + 30) * 1000))
    const res = await call('POST', '/mfa/reset', { token: tok.cy, body: { code: totp(secrets.cy, nowOf()) } })
    assert.equal(res.status, 200)
    assert.equal((await core.getUser(id.cy)).credentialEpoch, 2)
  })

  test('403: a member resetting someone else; 404: a user of another org', async () => {
    assertProblem(await call('POST', '/mfa/reset', { token: tok.bob, body: { resetUserId: id.ann } }), 403, 'forbidden')
    assertProblem(await call('POST', '/mfa/reset', { token: tok.ann, body: { resetUserId: id.zed } }), 404, 'not_found')
  })

  test('400 for a body that is not JSON or has the wrong types; 401 without a token', async () => {
    assertProblem(await call('POST', '/mfa/reset', { token: tok.ann, body: '{"resetUserId": ' }), 400, 'invalid_input')
    assertProblem(await call('POST', '/mfa/reset', { token: tok.ann, body: '[1]' }), 400, 'invalid_input')
    assertProblem(await call('POST', '/mfa/reset', { token: tok.ann, body: { resetUserId: 7 } }), 400, 'invalid_input')
    assertProblem(await call('POST', '/mfa/reset', { body: { resetUserId: id.bob } }), 401, 'unauthenticated')
  })
})

describe('seed 003: POST /api/systemusers/{id}/resetmfa', () => {
  const path = (who) => `/api/systemusers/${who}/resetmfa`

  test('exclusionUntil is the enrollment period: the deadline is that instant', async () => {
    const until = new Date((nowOf() + 2 * 86400) * 1000).toISOString()
    const res = await call('POST', path(id.bob), { token: tok.ann, body: { exclusion: true, exclusionUntil: until } })
    assert.equal(res.status, 200)
    assert.deepEqual(res.body, { id: id.bob, exclusion: true, exclusionUntil: until })
    assert.equal((await core.mfaStatus(id.bob)).deadline.toISOString(), until)
  })

  test('no exclusion: the org\'s default window; JumpCloud\'s x-api-key authenticates too', async () => {
    const res = await call('POST', path(id.bob), { headers: { 'x-api-key': tok.ann } })
    assert.equal(res.status, 200)
    assert.equal(Date.parse(res.body.exclusionUntil), (nowOf() + 7 * 86400) * 1000)
  })

  test('400: a period in the past, not a date, or missing', async () => {
    const past = new Date((nowOf() - 60) * 1000).toISOString()
    assertProblem(await call('POST', path(id.bob), { token: tok.ann, body: { exclusion: true, exclusionUntil: past } }), 400, 'invalid_input')
    assertProblem(await call('POST', path(id.bob), { token: tok.ann, body: { exclusion: true, exclusionUntil: 'soon' } }), 400, 'invalid_input')
    assertProblem(await call('POST', path(id.bob), { token: tok.ann, body: { exclusion: true } }), 400, 'invalid_input')
    assertProblem(await call('POST', path(id.bob), { token: tok.ann, body: { exclusion: 'yes' } }), 400, 'invalid_input')
  })

  test('401, 403, 404', async () => {
    assertProblem(await call('POST', path(id.bob)), 401, 'unauthenticated')
    assertProblem(await call('POST', path(id.olga), { token: tok.ann }), 403, 'forbidden')
    assertProblem(await call('POST', path(UNKNOWN_ID), { token: tok.ann }), 404, 'not_found')
  })
})

describe('seed 004: POST /api/v1/users/{id}/reset-mfa', () => {
  const path = (who) => `/api/v1/users/${who}/reset-mfa`

  test('200 {"message": "MFA reset successfully"}', async () => {
    const res = await call('POST', path(id.tim), { token: tok.tom })
    assert.equal(res.status, 200)
    assert.deepEqual(res.body, { message: 'MFA reset successfully' })
  })

  test('429 with Retry-After once the actor\'s hourly limit is spent', async () => {
    core.setTime(new Date((nowOf() + 600) * 1000))
    const res = await call('POST', path(id.tia), { token: tok.tom })
    assertProblem(res, 429, 'rate_limited', path(id.tia))
    assert.equal(res.headers.get('retry-after'), '3000')
    assert.equal(res.body.retry_after, 3000)
  })

  test('400 MFA not enabled, 401, 403 not an org admin, 404 not in this organization', async () => {
    assertProblem(await call('POST', path(id.dee), { token: tok.ann }), 400, 'mfa_not_enabled')
    assertProblem(await call('POST', path(id.tia), { token: 'expired' }), 401, 'unauthenticated')
    assertProblem(await call('POST', path(id.tom), { token: tok.tim }), 403, 'forbidden')
    assertProblem(await call('POST', path(id.zed), { token: tok.tom }), 404, 'not_found')
  })
})

/** A value for a path parameter of the document: the first of an enum, else an unknown uuid. */
const exampleOf = (parameter) => parameter.schema.enum?.[0] ?? UNKNOWN_ID

const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS']

describe('/openapi.json', () => {
  let doc

  before(async () => {
    const res = await call('GET', '/openapi.json')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'application/json')
    doc = res.body
  })

  test('is a valid OpenAPI 3.1 document (swagger-parser)', async () => {
    assert.equal(doc.openapi, '3.1.0')
    const api = await SwaggerParser.validate(structuredClone(doc))
    assert.equal(api.info.title, 'mfa-core example host')
  })

  test('documents exactly the routes of the server\'s table', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    assert.deepEqual(documented.sort(), ROUTES.map((r) => `${r.method} ${r.path}`).sort())
    assert.ok(documented.includes('PUT /user/users/mfa/reset'))
    assert.equal(documented.length, 8)
  })

  test('every documented operation is answered, and every other method of its path is a 405', async () => {
    for (const [template, ops] of Object.entries(doc.paths)) {
      const first = Object.values(ops)[0]
      let path = template
      for (const parameter of first.parameters ?? []) path = path.replace(`{${parameter.name}}`, exampleOf(parameter))
      const allowed = Object.keys(ops).map((m) => m.toUpperCase())
      for (const method of METHODS) {
        const res = await fetch(base + path, { method })
        await res.arrayBuffer()
        if (!allowed.includes(method)) {
          assert.equal(res.status, 405, `${method} ${path}`)
          assert.equal(res.headers.get('allow'), allowed.join(', '))
        } else if (ops[method.toLowerCase()].security?.length === 0) {
          assert.equal(res.status, 200, `${method} ${path}`)
        } else {
          // Found by the router, refused for want of a token: the operation exists and is secured.
          assert.equal(res.status, 401, `${method} ${path}`)
        }
      }
    }
    assertProblem(await call('PUT', '/user/users/mfa'), 404, 'not_found')
  })

  test('request bodies, problem+json answers and the auth header are described', () => {
    const { securitySchemes } = doc.components
    assert.deepEqual(securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', description: securitySchemes.bearerAuth.description })
    assert.equal(securitySchemes.apiKey.name, 'x-api-key')
    assert.deepEqual(doc.security, [{ bearerAuth: [] }, { apiKey: [] }])
    const reset = doc.paths['/user/users/mfa/reset'].put
    assert.equal(reset.requestBody.required, true)
    assert.deepEqual(reset.requestBody.content['application/json'].schema.required, ['userId'])
    assert.deepEqual(doc.paths['/mfa/reset'].post.requestBody.content['application/json'].schema.properties.resetUserId.type, 'string')
    for (const route of ROUTES.filter((r) => !r.public)) {
      const op = doc.paths[route.path][route.method.toLowerCase()]
      assert.equal(op.security, undefined, `${route.path} uses the document's security`)
      for (const status of ['400', '401', '403', '404', '429', '500']) {
        assert.deepEqual(op.responses[status].content, { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } }, `${route.path} ${status}`)
      }
      assert.ok(op.responses['429'].headers['Retry-After'])
    }
  })
})

describe('/docs: Swagger UI from swagger-ui-dist', () => {
  const dist = new URL('./node_modules/swagger-ui-dist/', import.meta.url)

  test('the page loads its scripts and styles from this host only, under a CSP that says so', async () => {
    const res = await fetch(`${base}/docs`)
    const html = await res.text()
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8')
    assert.match(res.headers.get('content-security-policy'), /script-src 'self';/)
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])
    assert.deepEqual(refs.sort(), ['/docs/favicon-32x32.png', '/docs/init.js', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css'])
    for (const ref of refs) assert.equal((await fetch(base + ref)).status, 200, ref)
  })

  test('the package\'s files, byte for byte, with their media types; init.js points at /openapi.json', async () => {
    for (const [name, type] of [['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'], ['swagger-ui.css', 'text/css; charset=utf-8'], ['favicon-32x32.png', 'image/png']]) {
      const res = await fetch(`${base}/docs/${name}`)
      assert.equal(res.headers.get('content-type'), type)
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(await readFile(new URL(name, dist))), name)
    }
    const init = await (await fetch(`${base}/docs/init.js`)).text()
    assert.match(init, /url: '\/openapi\.json'/)
    assert.match(init, /validatorUrl: null/)
  })

  test('nothing else of the package or the disk: 404 problem+json', async () => {
    for (const name of ['index.html', 'package.json', 'swagger-ui-bundle.js.map', '..%2Fpackage.json', '%2E%2E%2F%2E%2E%2Fserver.mjs']) {
      assertProblem(await call('GET', `/docs/${name}`), 404, 'not_found')
    }
  })
})

describe('the host itself', () => {
  test('404 for an unknown path, 405 for a known path with another method', async () => {
    assertProblem(await call('GET', '/nowhere', { token: tok.ann }), 404, 'not_found')
    const wrong = await call('GET', '/mfa/reset', { token: tok.ann })
    assert.equal(wrong.status, 405)
    assert.equal(wrong.headers.get('content-type'), 'application/problem+json')
    assert.equal(wrong.headers.get('allow'), 'POST')
  })

  test('400, not 500, for a path parameter that is not valid percent-encoding', async () => {
    assertProblem(await call('POST', '/api/v1/users/%zz/reset-mfa', { token: tok.ann }), 400, 'invalid_input', '/api/v1/users/%zz/reset-mfa')
  })

  test('500 (seeds 002 and 004) when something other than the core fails, without its message', async () => {
    const broken = { resetMfa: async () => { throw new TypeError('secret internals') }, now: () => new Date() }
    const host = createServer(createApp(broken, new Map([['t', UNKNOWN_ID]])))
    host.listen(0, '127.0.0.1')
    await once(host, 'listening')
    try {
      for (const [method, path] of [['POST', '/mfa/reset'], ['POST', `/api/v1/users/${UNKNOWN_ID}/reset-mfa`]]) {
        const res = await fetch(`http://127.0.0.1:${host.address().port}${path}`, { method, headers: { authorization: 'Bearer t' } })
        const body = await res.json()
        assert.equal(res.status, 500)
        assert.equal(body.code, 'internal')
        assert.doesNotMatch(JSON.stringify(body), /secret internals/)
      }
    } finally {
      host.close()
    }
  })

  test('the demo seeding: four users, one token each', async () => {
    const demo = await seedDemo(await Core.open(':memory:', KEY))
    assert.equal(demo.users.length, 4)
    assert.deepEqual([...demo.tokens.values()].sort(), demo.users.map((u) => u.id).sort())
    for (const token of demo.tokens.keys()) assert.match(token, /^[0-9a-f]{32}$/)
  })
})

describe('the store and key from the environment (the names mfa-admin reads)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mfa-example-env-'))
  const keyFile = (name, contents) => {
    const path = join(dir, name)
    writeFileSync(path, contents, { mode: 0o600 })
    return path
  }

  test('MFA_CORE_KEY_FILE (raw or hex) and MFA_CORE_KEY give the same key; MFA_CORE_DB the path', () => {
    const raw = keyFile('raw.key', KEY)
    const hex = keyFile('hex.key', `${KEY.toString('hex')}\n`)
    for (const env of [{ MFA_CORE_KEY_FILE: raw }, { MFA_CORE_KEY_FILE: hex }, { MFA_CORE_KEY: KEY.toString('hex') }]) {
      const store = storeFromEnv({ MFA_CORE_DB: join(dir, 'store.db'), ...env })
      assert.equal(store.path, join(dir, 'store.db'))
      assert.deepEqual(store.key, KEY)
    }
  })

  test('a random key for :memory: only; one key source at a time; a bad key refused', () => {
    const memory = storeFromEnv({})
    assert.equal(memory.path, ':memory:')
    assert.equal(memory.key.length, 32)
    assert.throws(() => storeFromEnv({ MFA_CORE_DB: join(dir, 'x.db') }), /no key for .*MFA_CORE_KEY_FILE/)
    const both = { MFA_CORE_KEY_FILE: keyFile('both.key', KEY), MFA_CORE_KEY: KEY.toString('hex') }
    assert.throws(() => storeFromEnv(both), /both MFA_CORE_KEY_FILE and MFA_CORE_KEY/)
    assert.throws(() => storeFromEnv({ MFA_CORE_KEY: 'ab'.repeat(31) }), /64 hex digits/)
    assert.throws(() => storeFromEnv({ MFA_CORE_KEY_FILE: keyFile('short.key', KEY.subarray(1)) }), (err) => err.code === 'MFA_INVALID_INPUT')
  })
})
