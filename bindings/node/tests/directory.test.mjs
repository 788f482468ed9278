// Orgs and users: the bootstrap calls, reads, and the actor-checked role and status changes.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { Core, KEY, T0, acme, enroll, nowOf, openMemory } from './support/addon.mjs'
import { totp } from './support/totp.mjs'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('orgs', async () => {
  const core = await openMemory()

  test('createOrg: the contract defaults, times as Dates', async () => {
    const org = await core.createOrg('Acme')
    assert.match(org.id, UUID)
    assert.equal(org.name, 'Acme')
    assert.deepEqual(org.policy, {
      mfaRequired: false,
      enrollmentWindow: 7 * 24 * 3600,
      resetLimitPerHour: 20,
      maxFailedVerifications: 5,
      requireStepUp: false,
    })
    assert.ok(org.createdAt instanceof Date)
    assert.equal(org.createdAt.getTime(), T0 * 1000)
  })

  test('createOrg: any subset of the policy, null meaning "not given"', async () => {
    const org = await core.createOrg('Globex', { mfaRequired: true, enrollmentWindow: 3600, resetLimitPerHour: null })
    assert.equal(org.policy.mfaRequired, true)
    assert.equal(org.policy.enrollmentWindow, 3600)
    assert.equal(org.policy.resetLimitPerHour, 20)
  })

  test('getOrg and listOrgs read them back', async () => {
    const orgs = await core.listOrgs()
    assert.deepEqual(orgs.map((o) => o.name).sort(), ['Acme', 'Globex'])
    const again = await core.getOrg(orgs[0].id.toUpperCase())
    assert.deepEqual(again, orgs[0])
  })
})

describe('users', async () => {
  const core = await openMemory()
  const { org, owner, admin, bob } = await acme(core)

  test('createUser: role, status, epoch, creation time', async () => {
    assert.match(bob.id, UUID)
    assert.deepEqual({ ...bob, id: undefined }, {
      id: undefined,
      org: org.id,
      email: 'bob@acme.test',
      role: 'member',
      status: 'active',
      credentialEpoch: 0,
      createdAt: new Date(T0 * 1000),
    })
    assert.equal(owner.role, 'owner')
    assert.equal(admin.role, 'admin')
  })

  test('getUser, findUserByEmail (any case) and listUsers (by email)', async () => {
    assert.deepEqual(await core.getUser(bob.id), bob)
    assert.deepEqual(await core.findUserByEmail(org.id, 'BOB@Acme.Test'), bob)
    const users = await core.listUsers(org.id)
    assert.deepEqual(users.map((u) => u.email), ['ann@acme.test', 'bob@acme.test', 'cy@acme.test', 'olga@acme.test'])
  })

  test('setRole: an owner grants admin; an admin may not grant owner', async () => {
    const promoted = await core.setRole(owner.id, bob.id, 'admin')
    assert.equal(promoted.role, 'admin')
    await assert.rejects(core.setRole(admin.id, bob.id, 'owner'), { code: 'MFA_FORBIDDEN' })
    assert.equal((await core.setRole(owner.id, bob.id, 'member')).role, 'member')
  })

  test('the last active owner cannot be demoted or disabled', async () => {
    await assert.rejects(core.setRole(owner.id, owner.id, 'admin'), { code: 'MFA_CONFLICT' })
    await assert.rejects(core.disableUser(owner.id, owner.id), { code: 'MFA_CONFLICT' })
  })

  test('disableUser and enableUser; a disabled actor is unauthenticated', async () => {
    const disabled = await core.disableUser(admin.id, bob.id)
    assert.equal(disabled.status, 'disabled')
    await assert.rejects(core.resetMfa(bob.id, admin.id), { code: 'MFA_UNAUTHENTICATED', status: 401 })
    assert.equal((await core.enableUser(admin.id, bob.id)).status, 'active')
  })
})

describe('step-up: an enrolled actor passes its own code as actorProof', async () => {
  const core = await openMemory()
  const { owner, bob } = await acme(core, { requireStepUp: true })
  const { secret } = await enroll(core, owner)

  test('without it: forbidden; with it: done', async () => {
    await assert.rejects(core.setRole(owner.id, bob.id, 'admin'), { code: 'MFA_FORBIDDEN' })
    await assert.rejects(core.disableUser(owner.id, bob.id, {}), { code: 'MFA_FORBIDDEN' })
    await core.setTime(new Date((nowOf(core) + 30) * 1000))
    const user = await core.setRole(owner.id, bob.id, 'admin', { actorProof: totp(secret, nowOf(core)) })
    assert.equal(user.role, 'admin')
    await core.setTime(new Date((nowOf(core) + 30) * 1000))
    const off = await core.disableUser(owner.id, bob.id, { actorProof: totp(secret, nowOf(core)) })
    assert.equal(off.status, 'disabled')
  })
})

describe('updatePolicy, renameUser and deleteUser', async () => {
  const core = await openMemory()
  const { org, owner, admin, bob } = await acme(core)

  test('updatePolicy: owners only, only the fields given, validated', async () => {
    await assert.rejects(core.updatePolicy(admin.id, org.id, { resetLimitPerHour: 3 }), { code: 'MFA_FORBIDDEN' })
    await assert.rejects(core.updatePolicy(owner.id, org.id, {}), { code: 'MFA_INVALID_INPUT' })
    await assert.rejects(core.updatePolicy(owner.id, org.id, { enrollmentWindow: 0 }), { code: 'MFA_INVALID_INPUT' })
    await assert.rejects(core.updatePolicy(owner.id, org.id, { window: 60 }), { code: 'MFA_INVALID_INPUT' })
    await assert.rejects(core.updatePolicy(owner.id, org.id, { mfaRequired: 1 }), { code: 'MFA_INVALID_INPUT' })
    const updated = await core.updatePolicy(owner.id, org.id, { enrollmentWindow: 600, mfaRequired: null })
    assert.deepEqual(updated.policy, { ...org.policy, enrollmentWindow: 600 })
    assert.deepEqual(await core.getOrg(org.id), updated)
    const [event] = (await core.auditEvents({ action: 'org.policy' })).filter((e) => e.outcome === 'success')
    assert.deepEqual(event.detail, { from: { enrollment_window: 604800 }, to: { enrollment_window: 600 } })
  })

  test('renameUser and deleteUser under the disable rules', async () => {
    const renamed = await core.renameUser(admin.id, bob.id, 'Robert@acme.test')
    assert.equal(renamed.email, 'Robert@acme.test')
    await assert.rejects(core.renameUser(admin.id, bob.id, 'OLGA@acme.test'), { code: 'MFA_CONFLICT' })
    await assert.rejects(core.renameUser(admin.id, owner.id, 'x@acme.test'), { code: 'MFA_FORBIDDEN' })
    await assert.rejects(core.deleteUser(admin.id, owner.id), { code: 'MFA_FORBIDDEN' })
    await assert.rejects(core.deleteUser(owner.id, owner.id), { code: 'MFA_CONFLICT' })
    assert.equal(await core.deleteUser(admin.id, bob.id), undefined)
    await assert.rejects(core.getUser(bob.id), { code: 'MFA_NOT_FOUND' })
    const again = await core.createUser(org.id, 'robert@acme.test', 'member')
    assert.notEqual(again.id, bob.id)
    assert.equal((await core.verifyAudit()).ok, true)
  })
})

test('info counts users by state and gives the audit head', async () => {
  const core = await openMemory()
  const { owner, bob } = await acme(core)
  await enroll(core, bob)
  await core.disableUser(owner.id, bob.id)
  const info = await core.info()
  assert.deepEqual(info.users, { total: 4, notEnrolled: 3, enrollmentRequired: 0, lockedOut: 0, enrolled: 1, disabled: 1 })
  assert.equal(info.orgs, 1)
  assert.equal(info.keyCheckOk, true)
  assert.equal(info.fileSize, null)
  assert.deepEqual(info.auditHead, await core.auditCheckpoint())
  assert.equal(info.auditEvents, info.auditHead.seq)
})

test('backup copies a live store with the same head; never over a file', async () => {
  const { mkdtempSync, statSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const dir = mkdtempSync(join(tmpdir(), 'mfa-backup-'))
  const core = await Core.open(join(dir, 'store.db'), KEY)
  await acme(core)
  const head = await core.backup(join(dir, 'copy.db'))
  assert.deepEqual(head, await core.auditCheckpoint())
  assert.equal(statSync(join(dir, 'copy.db')).mode & 0o777, 0o600)
  await assert.rejects(core.backup(join(dir, 'copy.db')), { code: 'MFA_CONFLICT' })
  const copy = await Core.open(join(dir, 'copy.db'), KEY, { createIfMissing: false })
  assert.deepEqual(await copy.auditCheckpoint(), head)
  assert.equal((await copy.verifyAudit(head)).ok, true)
  await copy.close()
  await core.close()
  await assert.rejects((await openMemory()).backup(join(dir, 'memory.db')), { code: 'MFA_INVALID_INPUT' })
})
