// Errors: every error code the addon can meet, as an `MfaError` with `code`, `status`,
// `retryAfter`, `problem` and `problemDetails()`; and bad JS values, which are MFA_INVALID_INPUT
// (a rejected Promise), never a napi type error or a crash.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'

import { Core, KEY, MfaError, acme, at, enroll, nowOf, openMemory } from './support/addon.mjs'
import { wrongTotp } from './support/totp.mjs'

/** docs/errors.md: code, HTTP status, title. */
const TABLE = {
  invalid_input: [400, 'Invalid input'],
  unauthenticated: [401, 'Unauthenticated'],
  forbidden: [403, 'Forbidden'],
  not_found: [404, 'Not found'],
  mfa_not_enabled: [400, 'MFA not enabled'],
  conflict: [409, 'Conflict'],
  invalid_code: [401, 'Invalid code'],
  rate_limited: [429, 'Rate limited'],
  storage: [503, 'Storage unavailable'],
  internal: [500, 'Internal error'],
}

const GENERIC_DETAIL = {
  storage: 'The identity store is unavailable or failed to save; try again later.',
  internal: 'An internal error occurred in the identity core.',
}

/** Asserts `err` is the addon's error for contract `code`, in every field. */
function assertMfaError(err, code) {
  const [status, title] = TABLE[code]
  assert.ok(err instanceof MfaError, `not an MfaError: ${err?.stack ?? err}`)
  assert.ok(err instanceof Error)
  assert.equal(err.name, 'MfaError')
  assert.equal(err.code, `MFA_${code.toUpperCase()}`)
  assert.equal(err.status, status)
  assert.ok(err.message.length > 0)
  // A storage or internal error's message names files, quotes SQLite or a panic: it stays in
  // `message` (for logs) while HTTP clients get a fixed sentence.
  const detail = GENERIC_DETAIL[code] ?? err.message
  const problem = { type: `urn:mfa-core:error:${code}`, title, status, detail, code }
  if (code === 'rate_limited') {
    assert.ok(Number.isInteger(err.retryAfter) && err.retryAfter > 0, `retryAfter ${err.retryAfter}`)
    problem.retry_after = err.retryAfter
  } else {
    assert.equal(err.retryAfter, undefined)
    assert.ok(!('retryAfter' in err))
  }
  assert.deepEqual(err.problem, problem)
  assert.deepEqual(err.problemDetails(), problem)
  assert.notEqual(err.problemDetails(), err.problemDetails(), 'a fresh object each call')
}

/** Awaits `promise`, which must reject with the addon's error for `code`; returns the error. */
async function rejectsWith(promise, code) {
  assert.ok(promise instanceof Promise, 'storage calls return a Promise, even for bad arguments')
  const err = await promise.then(
    (value) => assert.fail(`resolved with ${JSON.stringify(value)}, expected ${code}`),
    (e) => e,
  )
  assertMfaError(err, code)
  return err
}

describe('every error code', async () => {
  const core = await openMemory()
  const { org, owner, admin, bob, cy } = await acme(core, { resetLimitPerHour: 1 })

  test('invalid_input: a malformed id', async () => {
    const err = await rejectsWith(core.getUser('not-a-uuid'), 'invalid_input')
    assert.match(err.message, /not-a-uuid/)
  })

  test('unauthenticated: an actor that does not exist', async () => {
    await rejectsWith(core.resetMfa(randomUUID(), bob.id), 'unauthenticated')
  })

  test('forbidden: a member resetting someone else', async () => {
    await rejectsWith(core.resetMfa(bob.id, admin.id), 'forbidden')
  })

  test('not_found: no such user', async () => {
    await rejectsWith(core.getUser(randomUUID()), 'not_found')
  })

  test('mfa_not_enabled: resetting a user with nothing enrolled', async () => {
    await rejectsWith(core.resetMfa(owner.id, cy.id), 'mfa_not_enabled')
  })

  test('conflict: a duplicate email, in any case', async () => {
    await rejectsWith(core.createUser(org.id, 'BOB@acme.test', 'member'), 'conflict')
  })

  test('invalid_code: a wrong code', async () => {
    const { secret } = await enroll(core, cy)
    await rejectsWith(core.verify(cy.id, wrongTotp(secret, nowOf(core))), 'invalid_code')
  })

  test('rate_limited: past the reset limit, with retryAfter', async () => {
    await enroll(core, bob)
    await core.resetMfa(owner.id, bob.id)
    await core.setTime(at(nowOf(core) + 600))
    const err = await rejectsWith(core.resetMfa(owner.id, cy.id), 'rate_limited')
    assert.equal(err.retryAfter, 3000)
  })

  test('storage: a file that is not SQLite, left unchanged', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mfa-node-')), 'not.db')
    writeFileSync(path, 'this is not a database, and it is long enough to have a header'.repeat(100))
    const before = readFileSync(path)
    const err = await rejectsWith(Core.open(path, KEY), 'storage')
    assert.deepEqual(readFileSync(path), before)
    assert.ok(err.message.includes(path), err.message)
    assert.ok(!JSON.stringify(err.problem).includes(path))
  })

  test('the declarations list the ten codes of the contract table', () => {
    const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8')
    const union = dts.match(/export type ErrorCode =([^]*?)\n\n/)[1]
    const codes = [...union.matchAll(/'(MFA_[A-Z_]+)'/g)].map((m) => m[1])
    assert.deepEqual(codes, Object.keys(TABLE).map((c) => `MFA_${c.toUpperCase()}`))
  })
})

describe('MfaError', async () => {
  const core = await openMemory()
  const { owner, bob, admin } = await acme(core)
  const here = new URL(import.meta.url).pathname

  test("a rejection's stack starts at the caller, in an async function", async () => {
    async function lookUpTheUserFromTheCaller() {
      await core.getUser('not-a-uuid')
    }
    const err = await lookUpTheUserFromTheCaller().catch((e) => e)
    assertMfaError(err, 'invalid_input')
    const lines = err.stack.split('\n')
    assert.equal(lines[0], `MfaError: ${err.message}`)
    assert.match(lines[1], /^ {4}at lookUpTheUserFromTheCaller \(/, err.stack)
    assert.ok(lines[1].includes(here), err.stack)
  })

  test('... and in a plain function that returns the Promise (no await)', async () => {
    function resetFromAPlainFunction() {
      return core.resetMfa(bob.id, admin.id)
    }
    const err = await resetFromAPlainFunction().catch((e) => e)
    assertMfaError(err, 'forbidden')
    assert.match(err.stack.split('\n')[1], /^ {4}at resetFromAPlainFunction \(/, err.stack)
  })

  test('with Error.stackTraceLimit = 0 (no stacks captured) the stack is the message line alone', async () => {
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    try {
      const err = await core.getUser('not-a-uuid').catch((e) => e)
      assertMfaError(err, 'invalid_input')
      assert.equal(err.stack, `MfaError: ${err.message}`)
    } finally {
      Error.stackTraceLimit = limit
    }
  })

  test('Core.open and resetMfaMany outcomes give MfaErrors too', async () => {
    function openWithAShortKey() {
      return Core.open(':memory:', Buffer.alloc(3))
    }
    const err = await openWithAShortKey().catch((e) => e)
    assertMfaError(err, 'invalid_input')
    assert.match(err.stack.split('\n')[1], /at openWithAShortKey \(/, err.stack)
    const [outcome] = await core.resetMfaMany(owner.id, [bob.id])
    assert.equal(outcome.receipt, null)
    assertMfaError(outcome.error, 'mfa_not_enabled')
  })

  test('new MfaError(problem) builds the same error from problem details', () => {
    const problem = { type: 'urn:mfa-core:error:rate_limited', title: 'Rate limited', status: 429, detail: 'slow down', code: 'rate_limited', retry_after: 7 }
    const err = new MfaError(problem)
    assertMfaError(err, 'rate_limited')
    assert.equal(err.retryAfter, 7)
    assert.equal(err.message, 'slow down')
  })
})

describe('bad JS values are MFA_INVALID_INPUT', async () => {
  const core = await openMemory()
  const { org, owner, bob } = await acme(core)
  const notStrings = [undefined, null, 42, true, {}, ['a'], Buffer.from('a'), Symbol('s'), () => 'x', 10n]

  test('open: a key that is short, long, a string, an array or missing', async () => {
    const otherViews = [new Uint16Array(16), new Int8Array(32), new Uint8ClampedArray(32), new DataView(new ArrayBuffer(32)), new ArrayBuffer(32)]
    for (const key of [Buffer.alloc(31), new Uint8Array(33), Buffer.alloc(0), 'k'.repeat(32), Array(32).fill(1), undefined, 32, ...otherViews]) {
      await rejectsWith(Core.open(':memory:', key), 'invalid_input')
    }
    const core32 = await Core.open(':memory:', new Uint8Array(32))
    assert.ok(core32 instanceof Core)
  })

  test('open: a path that is not a string, bad options', async () => {
    for (const path of notStrings) await rejectsWith(Core.open(path, KEY), 'invalid_input')
    for (const options of [42, 'x', [], { manualClock: 1700000000 }, { manualClock: new Date(NaN) }, { issuer: 7 }, { manual_clock: at(0) }]) {
      await rejectsWith(Core.open(':memory:', KEY, options), 'invalid_input')
    }
  })

  test('every id and code argument of every method', async () => {
    const calls = [
      (v) => core.createOrg(v),
      (v) => core.getOrg(v),
      (v) => core.createUser(v, 'x@acme.test', 'member'),
      (v) => core.createUser(org.id, v, 'member'),
      (v) => core.createUser(org.id, 'x@acme.test', v),
      (v) => core.getUser(v),
      (v) => core.findUserByEmail(v, 'bob@acme.test'),
      (v) => core.findUserByEmail(org.id, v),
      (v) => core.listUsers(v),
      (v) => core.setRole(v, bob.id, 'admin'),
      (v) => core.setRole(owner.id, v, 'admin'),
      (v) => core.setRole(owner.id, bob.id, v),
      (v) => core.setRole(owner.id, bob.id, 'admin', { actorProof: v ?? 1 }),
      (v) => core.disableUser(v, bob.id),
      (v) => core.disableUser(owner.id, v),
      (v) => core.enableUser(v, bob.id),
      (v) => core.enableUser(owner.id, v),
      (v) => core.mfaStatus(v),
      (v) => core.beginEnrollment(v),
      (v) => core.confirmEnrollment(v, '123456'),
      (v) => core.confirmEnrollment(bob.id, v),
      (v) => core.regenerateRecoveryCodes(v, '123456'),
      (v) => core.regenerateRecoveryCodes(bob.id, v),
      (v) => core.verify(v, '123456'),
      (v) => core.verify(bob.id, v),
      (v) => core.resetMfa(v, bob.id),
      (v) => core.resetMfa(owner.id, v),
      (v) => core.resetMfaMany(v, [bob.id]),
      (v) => core.auditEvents({ actor: v ?? 1 }),
    ]
    for (const [i, call] of calls.entries()) {
      for (const value of notStrings) {
        await rejectsWith(call(value), 'invalid_input').catch((e) => {
          throw new Error(`call ${i} with ${String(value)}: ${e.message}`)
        })
      }
    }
  })

  test('malformed text is the core\'s to refuse: ids, roles, NUL bytes', async () => {
    await rejectsWith(core.getUser(''), 'invalid_input')
    await rejectsWith(core.createUser(org.id, 'x@acme.test', 'superuser'), 'invalid_input')
    await rejectsWith(core.createOrg('Nul\0Org'), 'invalid_input')
    await rejectsWith(core.verify(bob.id, '12\u00003456'), 'invalid_input')
  })

  test('reset options: unknown keys, wrong types, numbers that are not whole', async () => {
    const bad = [
      42, 'x', [], { dryrun: true }, { window: 60 }, { windowSeconds: '60' }, { windowSeconds: -1 },
      { windowSeconds: 1.5 }, { windowSeconds: NaN }, { windowSeconds: Infinity }, { windowSeconds: 0 },
      { windowSeconds: 366 * 86400 }, { dryRun: 'yes' }, { reason: 5 }, { proof: 123456 },
      { actorProof: {} }, { reason: 'r'.repeat(1001) },
    ]
    for (const options of bad) {
      await rejectsWith(core.resetMfa(owner.id, bob.id, options), 'invalid_input').catch((e) => {
        throw new Error(`${JSON.stringify(options)}: ${e.message}`)
      })
      await rejectsWith(core.resetMfaMany(owner.id, [bob.id], options), 'invalid_input')
    }
  })

  test('policies, step-up options, audit queries and checkpoints', async () => {
    for (const policy of [7, [], { mfa_required: true }, { mfaRequired: 'yes' }, { resetLimitPerHour: 0 }, { resetLimitPerHour: 2 ** 32 }, { enrollmentWindow: -5 }, { maxFailedVerifications: 0.5 }]) {
      await rejectsWith(core.createOrg('Bad', policy), 'invalid_input')
    }
    for (const options of [1, { actor_proof: '123456' }, { actorProof: 123456 }]) {
      await rejectsWith(core.setRole(owner.id, bob.id, 'admin', options), 'invalid_input')
      await rejectsWith(core.disableUser(owner.id, bob.id, options), 'invalid_input')
    }
    for (const query of [1, { after: 3 }, { afterSeq: -1 }, { limit: 0 }, { limit: 10_001 }, { limit: '5' }, { action: 'mfa.nope' }]) {
      await rejectsWith(core.auditEvents(query), 'invalid_input')
    }
    for (const checkpoint of [1, { seq: 1 }, { mac: 'ab' }, { seq: 1, mac: 'not hex' }, { seq: 1, mac: 'ab', extra: 1 }]) {
      await rejectsWith(core.verifyAudit(checkpoint), 'invalid_input')
    }
  })

  test('reset targets: not a list, or a list holding something other than strings', async () => {
    for (const targets of [undefined, bob.id, 5, { 0: bob.id, length: 1 }, [bob.id, 5], [null]]) {
      await rejectsWith(core.resetMfaMany(owner.id, targets), 'invalid_input')
    }
    const tooMany = Array(10_001).fill(bob.id)
    await rejectsWith(core.resetMfaMany(owner.id, tooMany), 'invalid_input')
  })

  test('setTime rejects like every other method: not a Date, an invalid Date, a system clock', async () => {
    for (const value of [undefined, 1700000000, '2024-01-01', new Date(NaN), {}]) {
      await rejectsWith(core.setTime(value), 'invalid_input')
    }
    const systemClock = await Core.open(':memory:', KEY)
    await rejectsWith(systemClock.setTime(new Date()), 'invalid_input')
  })

  test('Core cannot be constructed directly, and the store still works after all of this', async () => {
    assert.throws(() => new Core())
    assert.equal((await core.getUser(bob.id)).email, 'bob@acme.test')
  })
})
