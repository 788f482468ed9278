// A small HTTP host for the mfa-core Node addon: the reset endpoints of the five vendor APIs that
// mfa-core replaces (NPS, a console's `PUT /user/users/mfa/reset`, Flashback, JumpCloud and
// EntryGuard), with their documented request shapes and status codes, on 127.0.0.1; their
// OpenAPI 3.1 document at /openapi.json and a Swagger UI page over it at /docs.
//
//   cd examples/node && npm ci               # swagger-ui-dist, for /docs
//   node examples/node/server.mjs            # a demo store in memory, port 8080
//   PORT=0 MFA_CORE_DB=/tmp/mfa.db MFA_CORE_KEY_FILE=/tmp/mfa.key node examples/node/server.mjs
//
// Bearer tokens stand for a real session layer: each maps to an actor (the demo prints its
// table at start). Errors are RFC 7807 `application/problem+json` from the core's problem
// details; 429 carries `Retry-After`. The core decides every rule; this file only translates.

import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'

import { DOC_ASSETS, docsAsset, docsPage } from './docs.mjs'
import { openApiDocument, templateParams } from './openapi.mjs'

// In an application: `import { Core } from 'mfa-core'`.
const { Core, loadKey } = createRequire(import.meta.url)('../../bindings/node')

/** Request bodies are a few fields: anything larger is refused before parsing. */
const MAX_BODY_BYTES = 16 * 1024

/** A refusal by this host itself (no core call involved), in the core's problem shape. */
class HttpProblem extends Error {
  constructor(status, code, title, detail, headers = {}) {
    super(detail)
    this.status = status
    this.problem = { type: `urn:mfa-core:error:${code}`, title, status, detail, code }
    this.headers = headers
  }
}

const unauthenticated = (detail) => new HttpProblem(401, 'unauthenticated', 'Unauthenticated', detail)
const badRequest = (detail) => new HttpProblem(400, 'invalid_input', 'Invalid input', detail)

/** `body`: a JSON value, a Buffer (whose content-type is in `headers`), or none. */
function send(res, status, body, headers = {}) {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body === undefined ? '' : JSON.stringify(body))
  res.writeHead(status, {
    'content-length': bytes.length,
    ...(body === undefined || Buffer.isBuffer(body) ? {} : { 'content-type': 'application/json' }),
    ...headers,
  })
  res.end(bytes)
}

/** Any error as problem details: the addon's carry their own; anything else is a 500. */
function sendProblem(res, err, instance) {
  const known = typeof err?.status === 'number' && typeof err?.problem === 'object'
  const problem = known
    ? { ...err.problem, instance }
    : { type: 'urn:mfa-core:error:internal', title: 'Internal error', status: 500, detail: 'the server failed', code: 'internal', instance }
  const headers = { ...(err instanceof HttpProblem ? err.headers : {}), 'content-type': 'application/problem+json' }
  if (known && err.retryAfter !== undefined) headers['retry-after'] = String(err.retryAfter)
  if (problem.status === 401) headers['www-authenticate'] = 'Bearer'
  send(res, problem.status, problem, headers)
}

async function readJson(req) {
  const chunks = []
  let size = 0
  for await (const chunk of req) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, 'invalid_input', 'Payload too large', `bodies are at most ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8').trim()
  if (text === '') return {}
  let body
  try {
    body = JSON.parse(text)
  } catch {
    throw badRequest('the body is not JSON')
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body must be a JSON object')
  return body
}

/** `Authorization: Bearer <token>` (or JumpCloud's `x-api-key`) to the actor's user id. */
function actorOf(req, tokens) {
  const header = req.headers.authorization ?? ''
  const match = /^Bearer\s+(\S+)$/i.exec(header)
  const token = match?.[1] ?? req.headers['x-api-key']
  if (token === undefined) throw unauthenticated('a Bearer token is required')
  const actor = tokens.get(token)
  if (actor === undefined) throw unauthenticated('the token is not valid')
  return actor
}

/** JumpCloud's enrollment period: `exclusionUntil` as a window from now, in whole seconds. */
function exclusionWindow(core, body) {
  if (body.exclusion !== undefined && typeof body.exclusion !== 'boolean') throw badRequest('exclusion must be true or false')
  if (body.exclusion !== true) return undefined
  if (typeof body.exclusionUntil !== 'string') throw badRequest('exclusion needs exclusionUntil, a date-time')
  const until = Date.parse(body.exclusionUntil)
  if (Number.isNaN(until)) throw badRequest('exclusionUntil is not a date-time')
  // The core refuses a window outside 1 s to 365 days (a date in the past included).
  return Math.max(0, Math.ceil((until - core.now().getTime()) / 1000))
}

const RESET_OK = 'The reset is done: the user must enroll again before the deadline'
const USER_ID = { description: 'The user to reset', schema: { type: 'string', format: 'uuid' } }

/**
 * Every endpoint the host answers: the router matches requests against it and /openapi.json is
 * built from it (openapi.mjs documents the fields). `handle({ core, actor, params, body })`
 * resolves to `[status, body, headers]`: a JSON value, a Buffer sent as it is, or no body.
 */
export const ROUTES = [
  {
    // Seed 000 (NPS): 200 with no body; 400, 403, 404 as problem details.
    method: 'PUT', path: '/api/v1/ManagedAccount/ResetMFA/{id}', tag: 'ManagedAccount', operationId: 'resetMfaAsync',
    summary: 'Reset MFA for an NPS user (Auth roles: Admin)', description: 'Seed 000 (NPS). No request body; 200 with no body.',
    params: { id: USER_ID },
    ok: { status: 200, description: RESET_OK },
    handle: async ({ core, actor, params }) => {
      await core.resetMfa(actor, params.id)
      return [200, undefined]
    },
  },
  {
    // Seed 001: the body names the user; its console's Swagger page is what /docs serves.
    method: 'PUT', path: '/user/users/mfa/reset', tag: 'user', operationId: 'resetUserMfa',
    summary: 'Reset multi-factor authentication for a user (administrators)',
    description: 'Seed 001. Replace the example value of `userId` with the id of the user to reset.',
    body: {
      type: 'object',
      required: ['userId'],
      additionalProperties: false,
      properties: { userId: { type: 'string', format: 'uuid', description: 'The user to reset' } },
      examples: [{ userId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' }],
    },
    bodyRequired: true,
    ok: {
      status: 200,
      description: RESET_OK,
      schema: {
        type: 'object',
        required: ['userId', 'state', 'deadline', 'auditSeq'],
        properties: {
          userId: { type: 'string', format: 'uuid' },
          state: { type: 'string', const: 'enrollment_required' },
          deadline: { type: 'string', format: 'date-time', description: 'Enroll again before this instant' },
          auditSeq: { type: 'integer', description: 'The `mfa.reset` event in the audit trail' },
        },
      },
    },
    handle: async ({ core, actor, body }) => {
      const extra = Object.keys(body).filter((key) => key !== 'userId')
      if (extra.length > 0) throw badRequest(`unknown field ${extra[0]}: the body is {"userId": "<user id>"}`)
      if (typeof body.userId !== 'string') throw badRequest('userId is required: the id of the user to reset, a string')
      const receipt = await core.resetMfa(actor, body.userId)
      return [200, { userId: receipt.target, state: receipt.state, deadline: receipt.deadline.toISOString(), auditSeq: receipt.auditSeq }]
    },
  },
  {
    // Seed 002 (Flashback): no resetUserId is a self-reset, which takes the user's own code.
    method: 'POST', path: '/mfa/reset', tag: 'mfa', operationId: 'postMfaReset',
    summary: 'Reset MFA configuration',
    description: 'Seed 002 (Flashback). Without `resetUserId`, resets the caller\'s own MFA, given a current `code`.',
    body: {
      type: 'object',
      properties: {
        resetUserId: { type: 'string', format: 'uuid', description: 'The user to reset; OWNER or ADMINISTRATOR role' },
        code: { type: 'string', description: 'For a self-reset: the caller\'s current TOTP code or a recovery code' },
      },
    },
    ok: {
      status: 200,
      description: RESET_OK,
      schema: { type: 'object', properties: { success: { type: 'boolean' }, message: { type: 'string' } } },
    },
    handle: async ({ core, actor, body }) => {
      for (const key of ['resetUserId', 'code']) {
        if (body[key] !== undefined && typeof body[key] !== 'string') throw badRequest(`${key} must be a string`)
      }
      await core.resetMfa(actor, body.resetUserId ?? actor, { proof: body.code })
      return [200, { success: true, message: 'MFA reset successfully' }]
    },
  },
  {
    // Seed 003 (JumpCloud): `{"exclusion": true, "exclusionUntil": "<date-time>"}` is the
    // enrollment window; without it the org's default applies.
    method: 'POST', path: '/api/systemusers/{id}/resetmfa', tag: 'systemusers', operationId: 'systemusersResetmfa',
    summary: 'Reset a system user\'s TOTP key and open an enrollment period',
    description: 'Seed 003 (JumpCloud). `exclusionUntil` is the end of the enrollment period; without it the org\'s default applies.',
    params: { id: USER_ID },
    body: {
      type: 'object',
      properties: {
        exclusion: { type: 'boolean' },
        exclusionUntil: { type: 'string', format: 'date-time', description: 'Needed when `exclusion` is true' },
      },
    },
    ok: {
      status: 200,
      description: RESET_OK,
      schema: {
        type: 'object',
        properties: { id: { type: 'string' }, exclusion: { type: 'boolean' }, exclusionUntil: { type: 'string', format: 'date-time' } },
      },
    },
    handle: async ({ core, actor, params, body }) => {
      const receipt = await core.resetMfa(actor, params.id, { windowSeconds: exclusionWindow(core, body) })
      return [200, { id: receipt.target, exclusion: true, exclusionUntil: receipt.deadline.toISOString() }]
    },
  },
  {
    // Seed 004 (EntryGuard): no body; 400 when MFA is not enabled, 401, 403, 404, 429, 500.
    method: 'POST', path: '/api/v1/users/{id}/reset-mfa', tag: 'users', operationId: 'resetUserMfaById',
    summary: 'Reset user MFA (ORG_ADMIN)', description: 'Seed 004 (EntryGuard). No request body.',
    params: { id: USER_ID },
    ok: { status: 200, description: RESET_OK, schema: { type: 'object', properties: { message: { type: 'string' } } } },
    handle: async ({ core, actor, params }) => {
      await core.resetMfa(actor, params.id)
      return [200, { message: 'MFA reset successfully' }]
    },
  },
  {
    method: 'GET', path: '/openapi.json', tag: 'host', operationId: 'openApiDocument', public: true,
    summary: 'This document (OpenAPI 3.1)', description: 'Every endpoint the host answers.',
    ok: { status: 200, description: 'The document', schema: { type: 'object' } },
    handle: async () => [200, OPENAPI],
  },
  {
    method: 'GET', path: '/docs', tag: 'host', operationId: 'docsPage', public: true,
    summary: 'Swagger UI over this document', description: 'Served from the host, with no outside script.',
    ok: { status: 200, description: 'The page', type: 'text/html', schema: { type: 'string' } },
    handle: async () => docsPage(),
  },
  {
    method: 'GET', path: '/docs/{asset}', tag: 'host', operationId: 'docsAsset', public: true,
    summary: 'A file of the Swagger UI page', description: 'Scripts, styles and icons of `/docs`.',
    params: { asset: { description: 'A file of the page', schema: { type: 'string', enum: DOC_ASSETS } } },
    ok: { status: 200, description: 'The file', type: '*/*', schema: { type: 'string' } },
    errors: { 404: 'No such file' },
    handle: async ({ params }) => {
      const answer = await docsAsset(params.asset)
      if (answer === undefined) throw new HttpProblem(404, 'not_found', 'Not found', `no file ${params.asset}`)
      return answer
    },
  },
]

/** A percent-encoded path segment; a malformed escape (`%zz`) is the client's error, not a 500. */
function decodeSegment(segment) {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw badRequest(`the path segment ${segment} is not valid percent-encoding`)
  }
}

/** A path template as a regular expression whose groups are its parameters. */
function templatePattern(template) {
  const source = template.split(/\{\w+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('([^/]+)')
  return new RegExp(`^${source}$`)
}

const MATCHERS = ROUTES.map((route) => ({ route, pattern: templatePattern(route.path), names: templateParams(route.path) }))

const OPENAPI = openApiDocument(ROUTES, { title: 'mfa-core example host', version: '0.1.0' })

/** The request handler over `core`, with `tokens` mapping Bearer tokens to actor ids. */
export function createApp(core, tokens) {
  return async (req, res) => {
    const path = new URL(req.url, 'http://localhost').pathname
    try {
      const matches = MATCHERS.filter(({ pattern }) => pattern.test(path))
      if (matches.length === 0) throw new HttpProblem(404, 'not_found', 'Not found', `no endpoint ${path}`)
      const match = matches.find(({ route }) => route.method === req.method)
      if (match === undefined) {
        const allowed = matches.map(({ route }) => route.method).join(', ')
        throw new HttpProblem(405, 'invalid_input', 'Method not allowed', `${path} takes ${allowed}`, { allow: allowed })
      }
      const { route, pattern, names } = match
      const actor = route.public ? undefined : actorOf(req, tokens)
      const body = route.public ? {} : await readJson(req)
      const values = pattern.exec(path).slice(1)
      const params = Object.fromEntries(names.map((name, i) => [name, decodeSegment(values[i])]))
      const [status, payload, headers] = await route.handle({ core, actor, params, body })
      send(res, status, payload, headers)
    } catch (err) {
      sendProblem(res, err, path)
    }
  }
}

/** Listens on 127.0.0.1:`port` (0: any free port); resolves to the server once listening. */
export function listen(core, tokens, port = 0) {
  const server = createServer(createApp(core, tokens))
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}

/** A demo org (owner, admin, two members) with one random token per user. */
export async function seedDemo(core) {
  const org = await core.createOrg('Acme', { mfaRequired: true })
  const tokens = new Map()
  const users = []
  for (const [email, role] of [['olga@acme.test', 'owner'], ['ann@acme.test', 'admin'], ['bob@acme.test', 'member'], ['cy@acme.test', 'member']]) {
    const user = await core.createUser(org.id, email, role)
    tokens.set(randomBytes(16).toString('hex'), user.id)
    users.push(user)
  }
  return { org, users, tokens }
}

/**
 * Where the store is and its key, from the environment variables `mfa-admin` reads too:
 * `MFA_CORE_DB` (default `:memory:`, a throwaway store), and the key from `MFA_CORE_KEY_FILE` (a
 * key file: 32 raw bytes or 64 hex digits, read by the addon's `loadKey`) or `MFA_CORE_KEY` (64
 * hex digits), not both. Without a key a `:memory:` store gets a random one; a store file needs
 * its key, or it could not be opened again.
 */
export function storeFromEnv(env = process.env) {
  const path = env.MFA_CORE_DB ?? ':memory:'
  const { MFA_CORE_KEY_FILE: file, MFA_CORE_KEY: hex } = env
  if (file !== undefined && hex !== undefined) {
    throw new Error('both MFA_CORE_KEY_FILE and MFA_CORE_KEY are set: pass one key')
  }
  if (file !== undefined) return { path, key: loadKey(file) }
  if (hex !== undefined) {
    const digits = /^[\t\n\r ]*([0-9a-fA-F]{64})[\t\n\r ]*$/.exec(hex)
    if (digits === null) throw new Error('MFA_CORE_KEY must be 64 hex digits (32 bytes)')
    return { path, key: Buffer.from(digits[1], 'hex') }
  }
  if (path !== ':memory:') throw new Error(`no key for ${path}: set MFA_CORE_KEY_FILE or MFA_CORE_KEY`)
  return { path, key: randomBytes(32) }
}

async function main() {
  const { path, key } = storeFromEnv()
  const core = await Core.open(path, key)
  const { users, tokens } = await seedDemo(core)
  const server = await listen(core, tokens, Number(process.env.PORT ?? 8080))
  const { port } = server.address()
  console.log(`mfa-core example host on http://127.0.0.1:${port}`)
  console.log('demo tokens (Authorization: Bearer <token>):')
  for (const [token, id] of tokens) {
    const user = users.find((u) => u.id === id)
    console.log(`  ${token}  ${user.role.padEnd(6)} ${user.email}  ${user.id}`)
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err.message)
    process.exit(1)
  })
}
