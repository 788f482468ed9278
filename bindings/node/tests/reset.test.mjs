// resetMfa and resetMfaMany (docs/reset.md) through the addon's option names and types.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, test } from 'node:test'

import { T0, acme, at, enroll, nowOf, openMemory } from './support/addon.mjs'
import { totp } from './support/totp.mjs'

describe('resetMfa', async () => {
  const core = await openMemory()
  const { owner, admin, bob, cy } = await acme(core)
  const { recoveryCodes } = await enroll(core, bob)

  test('a dry run checks everything and changes nothing', async () => {
    const before = await core.auditCheckpoint()
    const receipt = await core.resetMfa(admin.id, bob.id, { dryRun: true, windowSeconds: 60 })
    assert.equal(receipt.dryRun, true)
    assert.equal(receipt.auditSeq, null)
    assert.equal(receipt.credentialEpoch, 1)
    assert.equal((await core.mfaStatus(bob.id)).state, 'enrolled')
    assert.deepEqual(await core.auditCheckpoint(), before)
  })

  test('a reset: the receipt with Dates, the reason in the audit event', async () => {
    await core.setTime(at(T0 + 100))
    const receipt = await core.resetMfa(admin.id, bob.id, { windowSeconds: 3600, reason: 'lost phone' })
    assert.deepEqual({ ...receipt, auditSeq: typeof receipt.auditSeq }, {
      target: bob.id,
      previousState: 'enrolled',
      state: 'enrollment_required',
      deadline: at(T0 + 3700),
      credentialEpoch: 1,
      auditSeq: 'number',
      dryRun: false,
    })
    const [event] = await core.auditEvents({ afterSeq: receipt.auditSeq - 1, limit: 1 })
    assert.equal(event.action, 'mfa.reset')
    assert.equal(event.reason, 'lost phone')
    assert.equal(event.actor, admin.id)
    assert.equal((await core.getUser(bob.id)).credentialEpoch, 1)
    await assert.rejects(core.verify(bob.id, recoveryCodes[0]), { code: 'MFA_MFA_NOT_ENABLED' })
  })

  test('an admin may not reset the owner; a target in no org of the actor is not found', async () => {
    await enroll(core, owner)
    await assert.rejects(core.resetMfa(admin.id, owner.id), { code: 'MFA_FORBIDDEN', status: 403 })
    await assert.rejects(core.resetMfa(admin.id, randomUUID()), { code: 'MFA_NOT_FOUND', status: 404 })
    await assert.rejects(core.resetMfa(admin.id, cy.id), { code: 'MFA_MFA_NOT_ENABLED', status: 400 })
  })

  test('a self-reset needs the user\'s own code as proof', async () => {
    const { secret } = await enroll(core, cy)
    await assert.rejects(core.resetMfa(cy.id, cy.id), { code: 'MFA_FORBIDDEN' })
    await core.setTime(at(nowOf(core) + 30))
    const receipt = await core.resetMfa(cy.id, cy.id, { proof: totp(secret, nowOf(core)) })
    assert.equal(receipt.state, 'enrollment_required')
  })
})

describe('resetMfa under requireStepUp', async () => {
  const core = await openMemory()
  const { admin, bob } = await acme(core, { requireStepUp: true })
  const { secret } = await enroll(core, admin)
  await enroll(core, bob)

  test('the actor\'s own current code as actorProof', async () => {
    await assert.rejects(core.resetMfa(admin.id, bob.id), { code: 'MFA_FORBIDDEN' })
    await core.setTime(at(nowOf(core) + 30))
    const receipt = await core.resetMfa(admin.id, bob.id, { actorProof: totp(secret, nowOf(core)) })
    assert.equal(receipt.previousState, 'enrolled')
  })
})

describe('resetMfaMany', async () => {
  const core = await openMemory()
  const { owner, admin, bob, cy } = await acme(core, { resetLimitPerHour: 2 })
  const dee = await core.createUser(owner.org, 'dee@acme.test', 'member')
  for (const user of [bob, cy, dee]) await enroll(core, user)

  test('one outcome per target, in order: a receipt, or an Error with its code', async () => {
    const outcomes = await core.resetMfaMany(admin.id, [bob.id, 'nope', owner.id, cy.id, dee.id], { windowSeconds: 60 })
    assert.deepEqual(outcomes.map((o) => o.target), [bob.id, 'nope', owner.id, cy.id, dee.id])
    assert.deepEqual(outcomes.map((o) => o.receipt?.state ?? o.error.code), [
      'enrollment_required', 'MFA_INVALID_INPUT', 'MFA_FORBIDDEN', 'enrollment_required', 'MFA_RATE_LIMITED',
    ])
    for (const o of outcomes) assert.ok((o.receipt === null) !== (o.error === null))
    const limited = outcomes[4].error
    assert.ok(limited instanceof Error)
    assert.equal(limited.status, 429)
    assert.equal(limited.retryAfter, 3600)
    assert.equal(outcomes[0].receipt.deadline.getTime(), (nowOf(core) + 60) * 1000)
    assert.equal((await core.mfaStatus(dee.id)).state, 'enrolled')
  })

  test('an empty list, and a whole-run refusal rejects', async () => {
    assert.deepEqual(await core.resetMfaMany(admin.id, []), [])
    await assert.rejects(core.resetMfaMany(admin.id, [bob.id], { windowSeconds: 0 }), { code: 'MFA_INVALID_INPUT' })
  })
})
