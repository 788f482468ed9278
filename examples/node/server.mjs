// A small HTTP host for the mfa-core Node addon: the reset endpoints of the vendor APIs that
// mfa-core replaces (shared/seeds 000, 002, 003, 004), with their documented request shapes
// and status codes, on 127.0.0.1.
//
//   node examples/node/server.mjs            # a demo store in memory, port 8080
//   PORT=0 MFA_DB=/tmp/mfa.db MFA_KEY=<64 hex digits> node examples/node/server.mjs
//
// Bearer tokens stand for a real session layer: each maps to an actor (the demo prints its
// table at start). Errors are RFC 7807 `application/problem+json` from the core's problem
// details; 429 carries `Retry-After`. The core decides every rule; this file only translates.

import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'

// In an application: `import { Core } from 'mfa-core'`.
const { Core } = createRequire(import.meta.url)('../../bindings/node')

/** Request bodies are a few fields: anything larger is refused before parsing. */
const MAX_BODY_BYTES = 16 * 1024

/** A refusal by this host itself (no core call involved), in the core's problem shape. */
class HttpProblem extends Error {
  constructor(status, code, title, detail) {
    super(detail)
    this.status = status
    this.problem = { type: `urn:mfa-core:error:${code}`, title, status, detail, code }
  }
}

const unauthenticated = (detail) => new HttpProblem(401, 'unauthenticated', 'Unauthenticated', detail)
const badRequest = (detail) => new HttpProblem(400, 'invalid_input', 'Invalid input', detail)

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body)
  res.writeHead(status, {
    'content-length': Buffer.byteLength(text),
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...headers,
  })
  res.end(text)
}

/** Any error as problem details: the addon's carry their own; anything else is a 500. */
function sendProblem(res, err, instance) {
  const known = typeof err?.status === 'number' && typeof err?.problem === 'object'
  const problem = known
    ? { ...err.problem, instance }
    : { type: 'urn:mfa-core:error:internal', title: 'Internal error', status: 500, detail: 'the server failed', code: 'internal', instance }
  const headers = { 'content-type': 'application/problem+json' }
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

/** Route table: [method, path pattern, handler(core, actor, params, body) -> [status, body]]. */
const ROUTES = [
  // Seed 000 (NPS): 200 with no body; 400, 403, 404 as problem details.
  ['PUT', /^\/api\/v1\/ManagedAccount\/ResetMFA\/([^/]+)$/, async (core, actor, [id]) => {
    await core.resetMfa(actor, id)
    return [200, undefined]
  }],
  // Seed 002 (Flashback): no resetUserId is a self-reset, which takes the user's own code.
  ['POST', /^\/mfa\/reset$/, async (core, actor, [], body) => {
    for (const key of ['resetUserId', 'code']) {
      if (body[key] !== undefined && typeof body[key] !== 'string') throw badRequest(`${key} must be a string`)
    }
    await core.resetMfa(actor, body.resetUserId ?? actor, { proof: body.code })
    return [200, { success: true, message: 'MFA reset successfully' }]
  }],
  // Seed 003 (JumpCloud): `{"exclusion": true, "exclusionUntil": "<date-time>"}` is the
  // enrollment window; without it the org's default applies.
  ['POST', /^\/api\/systemusers\/([^/]+)\/resetmfa$/, async (core, actor, [id], body) => {
    const receipt = await core.resetMfa(actor, id, { windowSeconds: exclusionWindow(core, body) })
    return [200, { id: receipt.target, exclusion: true, exclusionUntil: receipt.deadline.toISOString() }]
  }],
  // Seed 004 (EntryGuard): no body; 400 when MFA is not enabled, 401, 403, 404, 429, 500.
  ['POST', /^\/api\/v1\/users\/([^/]+)\/reset-mfa$/, async (core, actor, [id]) => {
    await core.resetMfa(actor, id)
    return [200, { message: 'MFA reset successfully' }]
  }],
]

/** The request handler over `core`, with `tokens` mapping Bearer tokens to actor ids. */
export function createApp(core, tokens) {
  return async (req, res) => {
    const path = new URL(req.url, 'http://localhost').pathname
    try {
      const routes = ROUTES.filter(([, pattern]) => pattern.test(path))
      if (routes.length === 0) throw new HttpProblem(404, 'not_found', 'Not found', `no endpoint ${path}`)
      const route = routes.find(([method]) => method === req.method)
      if (route === undefined) {
        throw new HttpProblem(405, 'invalid_input', 'Method not allowed', `${path} takes ${routes.map(([m]) => m).join(', ')}`)
      }
      const [, pattern, handle] = route
      const actor = actorOf(req, tokens)
      const body = await readJson(req)
      const params = pattern.exec(path).slice(1).map(decodeURIComponent)
      const [status, payload] = await handle(core, actor, params, body)
      send(res, status, payload)
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

function keyFromEnv() {
  const hex = process.env.MFA_KEY
  if (hex === undefined) return randomBytes(32)
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error('MFA_KEY must be 64 hex digits (32 bytes)')
  return Buffer.from(hex, 'hex')
}

async function main() {
  const core = await Core.open(process.env.MFA_DB ?? ':memory:', keyFromEnv())
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
