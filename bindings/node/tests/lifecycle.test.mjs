// close() and Symbol.asyncDispose: later calls reject with MFA_INVALID_INPUT, calls in flight
// finish first, closing twice is fine, and the file is released (WAL gone, deletable, reopens).

import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'

import { Core, KEY, MfaError, T0, acme, at, enroll, openMemory } from './support/addon.mjs'

/** A fresh file path in a temporary folder. */
const freshPath = () => join(mkdtempSync(join(tmpdir(), 'mfa-node-')), 'mfa.db')

/** Awaits `promise`, which must reject with the closed handle's error. */
async function rejectsClosed(promise, what) {
  assert.ok(promise instanceof Promise, `${what} returns a Promise`)
  const err = await promise.then(() => assert.fail(`${what} resolved on a closed handle`), (e) => e)
  assert.ok(err instanceof MfaError, `${what}: ${err}`)
  assert.equal(err.code, 'MFA_INVALID_INPUT', what)
  assert.equal(err.status, 400)
  assert.equal(err.message, 'the handle is closed')
}

describe('close', async () => {
  test('every method rejects once the handle is closed; now() throws', async () => {
    const core = await openMemory()
    const { org, owner, bob } = await acme(core)
    assert.equal(core.closed, false)
    assert.equal(await core.close(), undefined)
    assert.equal(core.closed, true)
    const calls = {
      setTime: () => core.setTime(at(T0)),
      createOrg: () => core.createOrg('Later'),
      getOrg: () => core.getOrg(org.id),
      listOrgs: () => core.listOrgs(),
      createUser: () => core.createUser(org.id, 'late@acme.test', 'member'),
      getUser: () => core.getUser(bob.id),
      findUserByEmail: () => core.findUserByEmail(org.id, 'bob@acme.test'),
      listUsers: () => core.listUsers(org.id),
      setRole: () => core.setRole(owner.id, bob.id, 'admin'),
      disableUser: () => core.disableUser(owner.id, bob.id),
      enableUser: () => core.enableUser(owner.id, bob.id),
      updatePolicy: () => core.updatePolicy(owner.id, org.id, { mfaRequired: true }),
      deleteUser: () => core.deleteUser(owner.id, bob.id),
      renameUser: () => core.renameUser(owner.id, bob.id, 'robert@acme.test'),
      mfaStatus: () => core.mfaStatus(bob.id),
      beginEnrollment: () => core.beginEnrollment(bob.id),
      confirmEnrollment: () => core.confirmEnrollment(bob.id, '123456'),
      regenerateRecoveryCodes: () => core.regenerateRecoveryCodes(bob.id, '123456'),
      verify: () => core.verify(bob.id, '123456'),
      resetMfa: () => core.resetMfa(owner.id, bob.id),
      resetMfaMany: () => core.resetMfaMany(owner.id, [bob.id]),
      auditEvents: () => core.auditEvents(),
      auditCheckpoint: () => core.auditCheckpoint(),
      verifyAudit: () => core.verifyAudit(),
      info: () => core.info(),
      backup: () => core.backup('/nonexistent/copy.db'),
    }
    // Every Promise-returning method of the class is in the list above.
    const methods = Object.getOwnPropertyNames(Core.prototype).filter(
      (name) => typeof Object.getOwnPropertyDescriptor(Core.prototype, name).value === 'function',
    )
    const notListed = methods.filter((m) => !(m in calls) && !['constructor', 'now', 'close'].includes(m))
    assert.deepEqual(notListed, [])
    for (const [name, call] of Object.entries(calls)) await rejectsClosed(call(), name)
    assert.throws(() => core.now(), (err) => err instanceof MfaError && err.code === 'MFA_INVALID_INPUT')
  })

  test('closing twice is fine, and both Promises resolve', async () => {
    const core = await openMemory()
    const [first, second] = [core.close(), core.close()]
    assert.deepEqual(await Promise.all([first, second]), [undefined, undefined])
    assert.equal(await core.close(), undefined)
  })

  test('Symbol.asyncDispose closes the handle (what `await using` calls)', async () => {
    const core = await openMemory()
    assert.equal(typeof core[Symbol.asyncDispose], 'function')
    await core[Symbol.asyncDispose]()
    assert.equal(core.closed, true)
    await rejectsClosed(core.listOrgs(), 'listOrgs after asyncDispose')
  })

  test('calls in flight when close() is called finish, then the file is released', async () => {
    const path = freshPath()
    const core = await Core.open(path, KEY, { manualClock: at(T0) })
    const { owner } = await acme(core, { mfaRequired: true, resetLimitPerHour: 1000 })
    const org = await core.createOrg('Busy', { mfaRequired: true })
    const writes = Array.from({ length: 40 }, (_, i) => core.createUser(org.id, `u${i}@busy.test`, 'member'))
    const closed = core.close()
    const late = rejectsClosed(core.listUsers(org.id), 'a call made after close()')
    const users = await Promise.all(writes)
    assert.equal(users.length, 40)
    await closed
    await late
    assert.equal(existsSync(`${path}-wal`), false, 'the WAL is checkpointed and removed')

    // Everything written before close() is in the file.
    const reopened = await Core.open(path, KEY)
    assert.equal((await reopened.listUsers(org.id)).length, 40)
    assert.equal((await reopened.getUser(owner.id)).role, 'owner')
    assert.equal((await reopened.verifyAudit()).ok, true)
    await reopened.close()
  })

  test('after close() the file can be deleted and a new store opened at the same path', async () => {
    const path = freshPath()
    const core = await Core.open(path, KEY, { manualClock: at(T0) })
    const { bob } = await acme(core)
    await enroll(core, bob)
    assert.ok(existsSync(`${path}-wal`), 'an open store in WAL mode has its -wal file')
    await core.close()
    assert.equal(existsSync(`${path}-wal`), false)
    rmSync(path)
    const fresh = await Core.open(path, KEY)
    assert.deepEqual(await fresh.listOrgs(), [])
    await fresh.close()
    assert.equal(existsSync(`${path}-wal`), false)
  })

  test('closing one of two handles on a file leaves the other usable; the last close releases it', async () => {
    const path = freshPath()
    const a = await Core.open(path, KEY)
    const b = await Core.open(path, KEY)
    const org = await a.createOrg('Shared')
    await a.close()
    assert.equal((await b.getOrg(org.id)).name, 'Shared')
    await b.close()
    assert.equal(existsSync(`${path}-wal`), false)
  })
})
