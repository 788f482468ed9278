// The Node replay of tests/scenarios/*.json: the format of tests/scenarios/README.md, with the
// semantics of the Rust runner (crates/mfa-scenarios): the same key and clock, in-memory or file
// stores and `reopen`, names, secrets, codes, `enroll` shorthand, relative times, strict keys and
// pattern matching. The driver half converts README arguments to addon calls and addon results
// back to README JSON.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

import { KEY, T0, at, Core, contractCode } from './addon.mjs'
import { totp, wrongTotp } from './totp.mjs'

export const SCENARIO_DIR = new URL('../../../../tests/scenarios/', import.meta.url).pathname

/** Every `*.json` file of the scenario folder, sorted by name. */
export function scenarioFiles(dir = SCENARIO_DIR) {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => join(dir, e.name))
    .sort()
}

const OPS = [
  'create_org', 'create_user', 'get_user', 'list_users', 'set_role', 'disable_user', 'enable_user',
  'update_policy', 'delete_user', 'rename_user', 'begin_enrollment', 'confirm_enrollment', 'enroll', 'verify', 'regenerate_recovery_codes',
  'mfa_status', 'reset_mfa', 'reset_mfa_many', 'audit_events', 'audit_checkpoint', 'verify_audit', 'info',
  'backup', 'rotate_key',
]
const ID_ARGS = ['org', 'user', 'actor', 'target']
/** The operations whose result is a checkpoint, which `as` binds (instead of an id). */
const CHECKPOINT_OPS = ['audit_checkpoint', 'rotate_key']
const CODE_ARGS = ['code', 'proof', 'actor_proof']
const TIME_KEYS = ['created_at', 'deadline', 'at']
/** The keys a scenario names (README, "Keys"): the bytes 0-31, 32-63 and 64-95. */
const KEYS = {
  first: KEY,
  second: Buffer.from(Array.from({ length: 32 }, (_, i) => 32 + i)),
  third: Buffer.from(Array.from({ length: 32 }, (_, i) => 64 + i)),
}
const STORE_FILE = 'store.db'

/** A refusal by the addon: its error code and retry_after. */
class Refusal {
  constructor(err) {
    this.code = contractCode(err)
    this.retryAfter = err.retryAfter
    this.message = err.message
  }
  toString() {
    const retry = this.retryAfter === undefined ? '' : ` (retry_after ${this.retryAfter})`
    return `${this.code}${retry}: ${this.message}`
  }
}

/** A scenario or driver bug, never an outcome any expectation matches. */
class HarnessError extends Error {}

function onlyKeys(map, allowed) {
  const unknown = Object.keys(map).find((k) => !allowed.includes(k))
  if (unknown !== undefined) throw new HarnessError(`unknown key ${JSON.stringify(unknown)} (allowed: ${allowed})`)
}

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v)
const isInteger = (v) => Number.isInteger(v)

/** A key written as "first", "second", "third" or {"hex": "..."} (lowercase, two digits a byte). */
function keyBytes(spec) {
  const bad = () => new HarnessError(`a key is "first", "second", "third" or {"hex": text}, got ${JSON.stringify(spec)}`)
  if (typeof spec === 'string') {
    if (!Object.hasOwn(KEYS, spec)) throw bad()
    return KEYS[spec]
  }
  if (isObject(spec)) {
    onlyKeys(spec, ['hex'])
    if (typeof spec.hex !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(spec.hex)) throw bad()
    return Buffer.from(spec.hex, 'hex')
  }
  throw bad()
}

// ---------------------------------------------------------------------------------------------
// The driver: README arguments (resolved to plain strings) to addon calls, results to README JSON
// with absolute times.

/**
 * camelCase keys to snake_case and Dates to Unix seconds, at any depth, except inside an audit
 * event's `detail`: that is the core's own JSON, passed through as it is.
 */
function toReadme(value) {
  if (value instanceof Date) return Math.floor(value.getTime() / 1000)
  if (Array.isArray(value)) return value.map(toReadme)
  if (isObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
        k === 'detail' ? v : toReadme(v),
      ]),
    )
  }
  return value
}

/** Typed access to a step's arguments; a missing or mistyped one is a harness error. */
function argReader(args) {
  const get = (key) => (args[key] === null ? undefined : args[key])
  const typed = (key, what, ok) => {
    const v = get(key)
    if (v !== undefined && !ok(v)) throw new HarnessError(`${JSON.stringify(key)} must be ${what}, got ${JSON.stringify(v)}`)
    return v
  }
  const required = (key, v) => {
    if (v === undefined) throw new HarnessError(`missing argument ${JSON.stringify(key)}`)
    return v
  }
  const r = {
    get,
    optStr: (k) => typed(k, 'a string', (v) => typeof v === 'string'),
    str: (k) => required(k, r.optStr(k)),
    optWhole: (k) => typed(k, 'a whole number', (v) => isInteger(v) && v >= 0),
    optBool: (k) => typed(k, 'true or false', (v) => typeof v === 'boolean'),
    strings: (k) => required(k, typed(k, 'a list of strings', (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'))),
  }
  return r
}

const POLICY_FIELDS = {
  mfa_required: ['mfaRequired', 'true or false', (v) => typeof v === 'boolean'],
  enrollment_window: ['enrollmentWindow', 'a whole number', (v) => isInteger(v) && v >= 0],
  reset_limit_per_hour: ['resetLimitPerHour', 'a whole number below 2^32', (v) => isInteger(v) && v >= 0 && v < 2 ** 32],
  max_failed_verifications: ['maxFailedVerifications', 'a whole number below 2^32', (v) => isInteger(v) && v >= 0 && v < 2 ** 32],
  require_step_up: ['requireStepUp', 'true or false', (v) => typeof v === 'boolean'],
}

function policy(value, name = 'policy') {
  if (value === undefined) return undefined
  if (!isObject(value)) throw new HarnessError(`"${name}" must be an object`)
  const out = {}
  for (const [key, v] of Object.entries(value)) {
    const field = POLICY_FIELDS[key]
    if (!field) throw new HarnessError(`unknown policy field ${JSON.stringify(key)}`)
    const [name, what, ok] = field
    if (!ok(v)) throw new HarnessError(`${JSON.stringify(key)} must be ${what}, got ${JSON.stringify(v)}`)
    out[name] = v
  }
  return out
}

function resetOptions(a) {
  return {
    windowSeconds: a.optWhole('window'),
    reason: a.optStr('reason'),
    dryRun: a.optBool('dry_run') ?? false,
    proof: a.optStr('proof'),
    actorProof: a.optStr('actor_proof'),
  }
}

/** One reset_mfa_many outcome as the README shows it. */
function outcome({ receipt, error }) {
  if (receipt !== null) return { ok: toReadme(receipt) }
  const refusal = new Refusal(error)
  return refusal.retryAfter === undefined ? { error: refusal.code } : { error: refusal.code, retry_after: refusal.retryAfter }
}

/** Calls the addon for `op`; resolves to README JSON (absolute times) or rejects with a Refusal. */
async function callAddon(core, op, args) {
  const a = argReader(args)
  const calls = {
    create_org: () => core.createOrg(a.str('name'), policy(a.get('policy'))),
    create_user: () => core.createUser(a.str('org'), a.str('email'), a.str('role')),
    get_user: () => core.getUser(a.str('user')),
    list_users: () => core.listUsers(a.str('org')),
    set_role: () => core.setRole(a.str('actor'), a.str('target'), a.str('role'), { actorProof: a.optStr('actor_proof') }),
    disable_user: () => core.disableUser(a.str('actor'), a.str('target'), { actorProof: a.optStr('actor_proof') }),
    enable_user: () => core.enableUser(a.str('actor'), a.str('target')),
    update_policy: () =>
      core.updatePolicy(a.str('actor'), a.str('org'), policy(a.get('changes'), 'changes'), {
        actorProof: a.optStr('actor_proof'),
      }),
    delete_user: async () => {
      await core.deleteUser(a.str('actor'), a.str('target'), { actorProof: a.optStr('actor_proof') })
      return null
    },
    rename_user: () =>
      core.renameUser(a.str('actor'), a.str('target'), a.str('email'), { actorProof: a.optStr('actor_proof') }),
    begin_enrollment: async () => {
      const { secret, uri } = await core.beginEnrollment(a.str('user'))
      return { secret, uri }
    },
    confirm_enrollment: async () => ({ recoveryCodes: (await core.confirmEnrollment(a.str('user'), a.str('code'))).codes }),
    regenerate_recovery_codes: async () => ({
      recoveryCodes: (await core.regenerateRecoveryCodes(a.str('user'), a.str('proof'))).codes,
    }),
    verify: () => core.verify(a.str('user'), a.str('code')),
    mfa_status: () => core.mfaStatus(a.str('user')),
    reset_mfa: () => core.resetMfa(a.str('actor'), a.str('target'), resetOptions(a)),
    reset_mfa_many: async () => {
      const list = await core.resetMfaMany(a.str('actor'), a.strings('targets'), resetOptions(a))
      return list.map(outcome)
    },
    audit_events: () =>
      core.auditEvents({
        afterSeq: a.optWhole('after_seq'),
        limit: a.optWhole('limit'),
        actor: a.optStr('actor'),
        target: a.optStr('target'),
        action: a.optStr('action'),
      }),
    audit_checkpoint: () => core.auditCheckpoint(),
    verify_audit: () => {
      const checkpoint = a.get('checkpoint')
      return checkpoint === undefined ? core.verifyAudit() : core.verifyAudit({ seq: checkpoint.seq, mac: checkpoint.mac })
    },
    info: () => core.info(),
    backup: () => core.backup(a.str('path')),
    rotate_key: () => {
      const key = a.get('key')
      if (!Buffer.isBuffer(key)) throw new HarnessError('"key" must be a key')
      return core.rotateKey(key)
    },
  }
  const call = calls[op]
  if (!call) throw new HarnessError(`the Node driver has no op ${JSON.stringify(op)}`)
  let result
  try {
    result = await call()
  } catch (err) {
    if (err instanceof HarnessError) throw err
    throw new Refusal(err)
  }
  return toReadme(result)
}

// ---------------------------------------------------------------------------------------------
// The runner: names, codes, the clock, expectations.

function relativise(value) {
  if (Array.isArray(value)) return value.map(relativise)
  if (isObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, TIME_KEYS.includes(k) && isInteger(v) ? v - T0 : relativise(v)]),
    )
  }
  return value
}

function check(path, pattern, actual, names) {
  const where = path === '' ? '/' : path
  const differ = () => {
    throw new HarnessError(`at ${JSON.stringify(where)}: expected ${JSON.stringify(pattern)}, got ${JSON.stringify(actual)}`)
  }
  if (isObject(pattern)) {
    const keys = Object.keys(pattern)
    if (keys.length === 1 && keys[0] === '$len' && isInteger(pattern.$len) && pattern.$len >= 0) {
      if (!Array.isArray(actual) || actual.length !== pattern.$len) differ()
      return
    }
    if (!isObject(actual)) differ()
    for (const key of keys) {
      const here = `${path}/${key}`
      if (!Object.hasOwn(actual, key)) {
        throw new HarnessError(`at ${JSON.stringify(here)}: missing key, expected ${JSON.stringify(pattern[key])}`)
      }
      check(here, pattern[key], actual[key], names)
    }
    return
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual) || actual.length !== pattern.length) differ()
    pattern.forEach((p, i) => check(`${path}/${i}`, p, actual[i], names))
    return
  }
  if (typeof pattern === 'string' && pattern.startsWith('$')) {
    const name = pattern.slice(1)
    if (!names.has(name)) throw new HarnessError(`at ${JSON.stringify(where)}: ${pattern} names nothing bound by "as"`)
    if (actual !== names.get(name)) {
      throw new HarnessError(`at ${JSON.stringify(where)}: expected the id of ${name} (${names.get(name)}), got ${JSON.stringify(actual)}`)
    }
    return
  }
  if (pattern !== actual) differ()
}

/** `{"raw": "text"}`: the text as is. */
function raw(value) {
  if (isObject(value) && Object.keys(value).length === 1 && typeof value.raw === 'string') return value.raw
  return undefined
}

/** An otpauth URI without its `secret=...&` parameter. */
export function withoutSecret(uri) {
  const start = uri.indexOf('secret=')
  if (start < 0) return uri
  const amp = uri.indexOf('&', start)
  if (amp >= 0) return uri.slice(0, start) + uri.slice(amp + 1)
  const head = uri.slice(0, start)
  return head.endsWith('&') ? head.slice(0, -1) : head
}

/**
 * The PostgreSQL store of scenario `file` when `MFA_CORE_TEST_PG_SCHEMAS` names a schema prefix
 * (scripts/test-postgres.sh, which creates the schemas and checks afterwards that each holds a
 * store): scenario n of the folder (in file-name order, memory and file scenarios alike) opens
 * `MFA_CORE_TEST_PG` with its search path set to `<prefix>_<n>`, and its `reopen` steps open that
 * URL again. Null without the variable, and for a file outside the folder (the runner's own
 * tests), which keep their own stores.
 */
export function postgresLocation(file) {
  const prefix = process.env.MFA_CORE_TEST_PG_SCHEMAS
  const index = scenarioFiles().map((f) => resolve(f)).indexOf(resolve(file))
  if (prefix === undefined || index < 0) return null
  const url = process.env.MFA_CORE_TEST_PG
  if (!url) throw new HarnessError('MFA_CORE_TEST_PG_SCHEMAS is set, MFA_CORE_TEST_PG is not')
  return `${url}${url.includes('?') ? '&' : '?'}options=-csearch_path%3D${prefix}_${index + 1}`
}

/** Opens a handle on a new in-memory store (`path` null), the store file or a PostgreSQL URL,
 * with a manual clock. */
/** Opens the store, checking that it is on the engine its location names. */
async function openStore(path, key, now) {
  const core = await Core.open(path ?? ':memory:', key, { manualClock: at(now) })
  const engine = (await core.info()).engine
  if (engine !== (path?.startsWith('postgres') ? 'postgresql' : 'sqlite')) {
    await core.close()
    throw new HarnessError(`the store opened on engine ${engine}`)
  }
  return core
}

class Replay {
  /** `core` is null after a `reopen` that failed, until one succeeds; `path` is the store (file
   * or URL) of a `"store": "file"` scenario. */
  constructor(core, path) {
    this.core = core
    this.path = path
    this.now = T0
    this.names = new Map()
    this.secrets = new Map()
    this.recoveryCodes = new Map()
    this.checkpoints = new Map()
  }

  async step(step) {
    if (!isObject(step)) throw new HarnessError(`step ${JSON.stringify(step)} is not an object`)
    if ('advance' in step) {
      onlyKeys(step, ['advance'])
      if (!isInteger(step.advance)) throw new HarnessError('"advance" must be an integer')
      return this.setClock(this.now + step.advance)
    }
    if ('at' in step) {
      onlyKeys(step, ['at'])
      if (!isInteger(step.at)) throw new HarnessError('"at" must be an integer')
      return this.setClock(T0 + step.at)
    }
    if ('reopen' in step) {
      onlyKeys(step, ['reopen', 'expect'])
      if (!isObject(step.reopen)) throw new HarnessError('"reopen" must be an object')
      onlyKeys(step.reopen, ['key'])
      if (!('key' in step.reopen)) throw new HarnessError('"reopen" needs a "key"')
      const result = await this.reopen(keyBytes(step.reopen.key))
      return this.expect('reopen', step.expect, result)
    }
    onlyKeys(step, ['op', 'args', 'as', 'expect'])
    const { op } = step
    if (typeof op !== 'string') throw new HarnessError('a step needs "op", "advance", "at" or "reopen"')
    if (!OPS.includes(op)) throw new HarnessError(`unknown op ${JSON.stringify(op)}`)
    const args = step.args ?? {}
    if (!isObject(args)) throw new HarnessError('"args" must be an object')
    const result = await this.call(op, args)
    this.expect(op, step.expect, result)
    if ('as' in step) {
      if (typeof step.as !== 'string') throw new HarnessError('"as" must be a string')
      if (CHECKPOINT_OPS.includes(op)) {
        const checkpoint = result.ok
        if (!isObject(checkpoint) || !('seq' in checkpoint) || !('mac' in checkpoint)) {
          throw new HarnessError(`${op}: "as" needs a checkpoint`)
        }
        this.checkpoints.set(step.as, checkpoint)
        return
      }
      const id = result.ok?.id
      if (typeof id !== 'string') throw new HarnessError(`${op}: "as" needs a result with an "id"`)
      this.names.set(step.as, id)
    }
  }

  /** Without an open handle (after a failed `reopen`) only the scenario's clock moves: the next
   * `reopen` starts the store's clock there. */
  async setClock(t) {
    this.now = t
    if (this.core !== null) await this.core.setTime(at(t))
  }

  /** Closes the handle (if one is open) and opens the store file again with `key` and a manual
   * clock at the scenario's current time: `{ok: null}` or `{error: Refusal}`. */
  async reopen(key) {
    if (this.path === null) throw new HarnessError('"reopen" needs a scenario with "store": "file"')
    if (this.core !== null) await this.core.close()
    this.core = null
    try {
      this.core = await openStore(this.path, key, this.now)
      return { ok: null }
    } catch (err) {
      if (err instanceof HarnessError) throw err
      return { error: new Refusal(err) }
    }
  }

  /** The open handle; none after a failed `reopen` (a scenario error). */
  openCore() {
    if (this.core === null) throw new HarnessError('no store is open: the last "reopen" failed')
    return this.core
  }

  /** `{ok: value}` (times relative to T0) or `{error: Refusal}`. */
  async call(op, args) {
    const resolved = this.resolve(args)
    const user = typeof args.user === 'string' ? args.user : undefined
    try {
      let value
      if (op === 'enroll') {
        if (user === undefined) throw new HarnessError('enroll needs a "user" NAME')
        value = await this.enroll(user, resolved)
      } else {
        value = this.keepSecrets(op, user, await callAddon(this.openCore(), op, resolved))
      }
      return { ok: relativise(value) }
    } catch (err) {
      if (err instanceof Refusal) return { error: err }
      throw err
    }
  }

  async enroll(user, args) {
    const begun = await callAddon(this.openCore(), 'begin_enrollment', args)
    this.keepSecrets('begin_enrollment', user, begun)
    const code = totp(this.secrets.get(user), this.now)
    const confirmed = await callAddon(this.openCore(), 'confirm_enrollment', { ...args, code })
    return this.keepSecrets('confirm_enrollment', user, confirmed)
  }

  keepSecrets(op, user, result) {
    const broken = () => new HarnessError(`${op} returned ${JSON.stringify(result)} instead of the driver's shape`)
    if (op === 'begin_enrollment') {
      if (typeof result?.secret !== 'string' || typeof result?.uri !== 'string') throw broken()
      if (user !== undefined) this.secrets.set(user, result.secret)
      return { uri: withoutSecret(result.uri) }
    }
    if (op === 'confirm_enrollment' || op === 'regenerate_recovery_codes') {
      const codes = result?.recovery_codes
      if (!Array.isArray(codes) || !codes.every((c) => typeof c === 'string')) throw broken()
      if (user !== undefined) this.recoveryCodes.set(user, codes)
      return { recovery_codes: codes.length }
    }
    return result
  }

  resolve(args) {
    const out = {}
    for (const [key, value] of Object.entries(args)) {
      if (value === null) out[key] = null
      else if (ID_ARGS.includes(key)) out[key] = this.id(value)
      else if (key === 'targets') {
        if (!Array.isArray(value)) throw new HarnessError('"targets" must be a list')
        out[key] = value.map((v) => this.id(v))
      } else if (CODE_ARGS.includes(key)) out[key] = this.code(value)
      else if (key === 'key') out[key] = keyBytes(value)
      else if (key === 'checkpoint') out[key] = this.checkpoint(value)
      else out[key] = value
    }
    return out
  }

  /** A checkpoint: a NAME bound by `as`, or `{"seq": N, "mac": text}` as written. */
  checkpoint(value) {
    if (typeof value === 'string') {
      if (!this.checkpoints.has(value)) throw new HarnessError(`${JSON.stringify(value)} is not a bound checkpoint`)
      return this.checkpoints.get(value)
    }
    if (!isObject(value) || !(isInteger(value.seq) && value.seq >= 0) || typeof value.mac !== 'string') {
      throw new HarnessError(`a checkpoint is a NAME or {"seq", "mac"}, got ${JSON.stringify(value)}`)
    }
    onlyKeys(value, ['seq', 'mac'])
    return value
  }

  id(value) {
    if (typeof value === 'string') {
      if (!this.names.has(value)) throw new HarnessError(`${JSON.stringify(value)} is not bound by "as"`)
      return this.names.get(value)
    }
    const text = raw(value)
    if (text === undefined) throw new HarnessError(`an id is a NAME or {"raw": text}, got ${JSON.stringify(value)}`)
    return text
  }

  code(spec) {
    const bad = () => new HarnessError(`a code is {"totp"}, {"wrong_totp"}, {"recovery"} or {"raw"}, got ${JSON.stringify(spec)}`)
    if (!isObject(spec)) throw bad()
    const secretOf = (name) => {
      if (typeof name !== 'string') throw bad()
      if (!this.secrets.has(name)) throw new HarnessError(`${JSON.stringify(name)} has begun no enrollment`)
      return this.secrets.get(name)
    }
    if ('totp' in spec) {
      onlyKeys(spec, ['totp', 'offset'])
      const offset = spec.offset ?? 0
      if (!isInteger(offset)) throw new HarnessError('"offset" must be an integer')
      return totp(secretOf(spec.totp), this.now, offset)
    }
    if ('wrong_totp' in spec) {
      onlyKeys(spec, ['wrong_totp'])
      return wrongTotp(secretOf(spec.wrong_totp), this.now)
    }
    if ('recovery' in spec) {
      onlyKeys(spec, ['recovery', 'index'])
      const name = spec.recovery
      if (typeof name !== 'string') throw bad()
      if (!isInteger(spec.index) || spec.index < 0) throw new HarnessError('"recovery" needs an "index"')
      const codes = this.recoveryCodes.get(name)
      if (!codes) throw new HarnessError(`${JSON.stringify(name)} has no recovery codes`)
      if (spec.index >= codes.length) throw new HarnessError(`${JSON.stringify(name)} has no code ${spec.index}`)
      return codes[spec.index]
    }
    const text = raw(spec)
    if (text === undefined) throw bad()
    return text
  }

  expect(op, expect, result) {
    const got = () => ('ok' in result ? `ok ${JSON.stringify(result.ok)}` : `error ${result.error}`)
    if (expect === undefined) {
      if ('error' in result) throw new HarnessError(`${op}: expected success, got error ${result.error}`)
      return
    }
    if (!isObject(expect)) throw new HarnessError('"expect" must be an object')
    if ('ok' in expect) {
      onlyKeys(expect, ['ok'])
      if (!('ok' in result)) throw new HarnessError(`${op}: expected ok ${JSON.stringify(expect.ok)}, got ${got()}`)
      try {
        check('', expect.ok, result.ok, this.names)
      } catch (err) {
        throw new HarnessError(`${op}: ${err.message}; result ${JSON.stringify(result.ok)}`)
      }
      return
    }
    onlyKeys(expect, ['error', 'retry_after'])
    if (typeof expect.error !== 'string') throw new HarnessError('"expect" needs "ok" or "error"')
    if (expect.retry_after !== undefined && !(isInteger(expect.retry_after) && expect.retry_after >= 0)) {
      throw new HarnessError('"retry_after" must be a whole number')
    }
    const e = result.error
    const matches = e !== undefined && e.code === expect.error &&
      (expect.retry_after === undefined || e.retryAfter === expect.retry_after)
    if (!matches) {
      throw new HarnessError(`${op}: expected error ${expect.error} (retry_after ${expect.retry_after}), got ${got()}`)
    }
  }
}

function parse(text) {
  const top = JSON.parse(text)
  if (!isObject(top)) throw new HarnessError('a scenario is a JSON object')
  onlyKeys(top, ['name', 'covers', 'store', 'steps'])
  if (typeof top.name !== 'string') throw new HarnessError('"name" must be a string')
  if (!Array.isArray(top.covers) || top.covers.length === 0 || !top.covers.every((c) => typeof c === 'string')) {
    throw new HarnessError('"covers" must list at least one section or seed')
  }
  if (top.store !== undefined && top.store !== 'memory' && top.store !== 'file') {
    throw new HarnessError(`"store" must be "memory" or "file", got ${JSON.stringify(top.store)}`)
  }
  if (!Array.isArray(top.steps)) throw new HarnessError('"steps" must be a list')
  return top
}

/**
 * Replays one file on a fresh store (a new in-memory one, or a new file in a temporary folder
 * for `"store": "file"`; on PostgreSQL, see `postgresLocation`); throws naming the file,
 * scenario and step that differed.
 */
export async function runFile(file) {
  let scenario
  try {
    scenario = parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new Error(`${file}: ${err.message}`)
  }
  const onServer = postgresLocation(file)
  const folder = scenario.store === 'file' && onServer === null ? mkdtempSync(join(tmpdir(), 'mfa-scenario-')) : null
  try {
    const path = onServer ?? (folder === null ? null : join(folder, STORE_FILE))
    // A memory scenario cannot reopen, even on the server.
    const replay = new Replay(await openStore(path, KEY, T0), scenario.store === 'file' ? path : null)
    try {
      for (const [index, step] of scenario.steps.entries()) {
        try {
          await replay.step(step)
        } catch (err) {
          throw new Error(`${file} (${scenario.name}), step ${index}: ${err.message}`)
        }
      }
    } finally {
      if (replay.core !== null) await replay.core.close()
    }
  } finally {
    // After the handle is closed: the store file outlives it.
    if (folder !== null) rmSync(folder, { recursive: true, force: true })
  }
  return scenario
}

export { parse }
