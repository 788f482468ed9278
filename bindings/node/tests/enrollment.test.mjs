// Enrollment, verification and recovery codes (docs/concepts.md, docs/enrollment.md).

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { inspect } from 'node:util'

import { Core, KEY, RecoveryCodes, T0, acme, at, enroll, nowOf, openMemory } from './support/addon.mjs'
import { totp, wrongTotp } from './support/totp.mjs'

describe('enrollment', async () => {
  const core = await openMemory()
  const { org, bob, cy } = await acme(core)

  test('mfaStatus of a new user in an org without mfaRequired: not_enrolled', async () => {
    assert.deepEqual(await core.mfaStatus(bob.id), {
      user: bob.id,
      state: 'not_enrolled',
      deadline: null,
      credentialEpoch: 0,
      recoveryCodesRemaining: 0,
    })
  })

  test('beginEnrollment: a 160-bit base32 secret and its otpauth URI (issuer: the org)', async () => {
    const { secret, uri } = await core.beginEnrollment(bob.id)
    assert.match(secret, /^[A-Z2-7]{32}$/)
    assert.equal(
      uri,
      `otpauth://totp/Acme:bob%40acme.test?secret=${secret}&issuer=Acme&algorithm=SHA1&digits=6&period=30`,
    )
  })

  test('confirmEnrollment: ten recovery codes; the user is enrolled', async () => {
    const { secret } = await core.beginEnrollment(bob.id)
    await assert.rejects(core.confirmEnrollment(bob.id, wrongTotp(secret, nowOf(core))), { code: 'MFA_INVALID_CODE' })
    const { codes } = await core.confirmEnrollment(bob.id, totp(secret, nowOf(core)))
    assert.equal(codes.length, 10)
    assert.equal(new Set(codes).size, 10)
    const status = await core.mfaStatus(bob.id)
    assert.equal(status.state, 'enrolled')
    assert.equal(status.recoveryCodesRemaining, 10)
    await assert.rejects(core.beginEnrollment(bob.id), { code: 'MFA_CONFLICT' })
  })

  test('neither the secret nor the recovery codes show in logs or JSON', async () => {
    const user = await core.createUser(org.id, 'logged@acme.test', 'member')
    const enrollment = await core.beginEnrollment(user.id)
    const { codes } = await core.confirmEnrollment(user.id, totp(enrollment.secret, nowOf(core)))
    const recovery = await core.regenerateRecoveryCodes(user.id, totp(enrollment.secret, nowOf(core) + 30))
    for (const shown of [inspect(enrollment, { showHidden: true }), JSON.stringify(enrollment), String(enrollment)]) {
      assert.ok(!shown.includes(enrollment.secret), shown)
    }
    const views = [
      inspect(recovery, { showHidden: true }),
      inspect({ user: user.id, recovery }, { depth: 5 }),
      JSON.stringify(recovery),
      JSON.stringify({ recovery }),
      String(recovery),
      `${recovery}`,
      recovery.toLocaleString(),
    ]
    for (const shown of views) {
      assert.ok(!recovery.codes.some((c) => shown.includes(c)) && !codes.some((c) => shown.includes(c)), shown)
    }
    assert.equal(recovery.codes.length, 10)
  })

  test('recovery codes are a frozen array: length, indexing, iteration; redacted in JSON and inspect', async () => {
    const user = await core.createUser(org.id, 'array@acme.test', 'member')
    const { secret } = await core.beginEnrollment(user.id)
    const codes = await core.confirmEnrollment(user.id, totp(secret, nowOf(core)))
    assert.ok(Array.isArray(codes))
    assert.ok(codes instanceof RecoveryCodes)
    assert.equal(codes.length, 10)
    assert.match(codes[0], /^[a-z0-9-]{8,}$/i)
    const iterated = [...codes]
    assert.deepEqual(iterated, codes.codes)
    assert.equal(Object.getPrototypeOf(codes.codes), Array.prototype, 'codes: a plain copy')
    const [first, ...others] = codes
    assert.equal(first, codes[0])
    assert.equal(others.length, 9)
    assert.equal(codes.join(',').split(',').length, 10)
    assert.equal(Object.getPrototypeOf(codes.map((c) => c)), Array.prototype)
    assert.ok(Object.isFrozen(codes))
    assert.throws(() => codes.push('x'), TypeError)
    assert.equal(JSON.stringify(codes), '"[redacted]"')
    assert.equal(inspect(codes), 'RecoveryCodes(10) [redacted]')
    // A recovery code still signs in (it is the real code, not a redacted copy).
    const { method } = await core.verify(user.id, codes[3])
    assert.equal(method, 'recovery_code')
    const fresh = await core.regenerateRecoveryCodes(user.id, totp(secret, nowOf(core) + 30))
    assert.ok(fresh instanceof RecoveryCodes)
    assert.equal(fresh.length, 10)
  })

  test('confirmEnrollment with nothing pending: conflict', async () => {
    await assert.rejects(core.confirmEnrollment(cy.id, '123456'), { code: 'MFA_CONFLICT', status: 409 })
  })

  test('an issuer given at open replaces the org name', async () => {
    const other = await Core.open(':memory:', KEY, { manualClock: at(T0), issuer: 'Example SSO' })
    const o = await other.createOrg('Acme')
    const u = await other.createUser(o.id, 'x@acme.test', 'member')
    const { uri } = await other.beginEnrollment(u.id)
    assert.match(uri, /^otpauth:\/\/totp\/Example%20SSO:x%40acme\.test\?.*&issuer=Example%20SSO&/)
    assert.notEqual(org.id, o.id)
  })
})

describe('verification', async () => {
  const core = await openMemory()
  const { bob } = await acme(core, { maxFailedVerifications: 20 })
  const { secret, recoveryCodes } = await enroll(core, bob)

  test('a TOTP code of the next step, then no replay of it', async () => {
    await core.setTime(at(nowOf(core) + 30))
    const code = totp(secret, nowOf(core))
    assert.deepEqual(await core.verify(bob.id, code), { method: 'totp', recoveryCodesRemaining: 10 })
    await assert.rejects(core.verify(bob.id, code), { code: 'MFA_INVALID_CODE' })
  })

  test('codes are exactly six ASCII digits', async () => {
    for (const code of ['12345', '1234567', '12 345', 'abcdef', '１２３４５６']) {
      await assert.rejects(core.verify(bob.id, code), { code: 'MFA_INVALID_CODE' })
    }
    await core.setTime(at(nowOf(core) + 30))
    await core.verify(bob.id, totp(secret, nowOf(core)))
  })

  test('a recovery code works once', async () => {
    const result = await core.verify(bob.id, recoveryCodes[0])
    assert.deepEqual(result, { method: 'recovery_code', recoveryCodesRemaining: 9 })
    await assert.rejects(core.verify(bob.id, recoveryCodes[0]), { code: 'MFA_INVALID_CODE' })
  })

  test('regenerateRecoveryCodes: ten new codes, the old ones dead', async () => {
    await core.setTime(at(nowOf(core) + 3600))
    const { codes: fresh } = await core.regenerateRecoveryCodes(bob.id, totp(secret, nowOf(core)))
    assert.equal(fresh.length, 10)
    assert.ok(!fresh.includes(recoveryCodes[1]))
    await assert.rejects(core.verify(bob.id, recoveryCodes[1]), { code: 'MFA_INVALID_CODE' })
    assert.equal((await core.verify(bob.id, fresh[0])).recoveryCodesRemaining, 9)
  })
})

describe('throttling', async () => {
  const core = await openMemory()
  const { cy } = await acme(core, { maxFailedVerifications: 2 })
  const { secret } = await enroll(core, cy)

  test('after maxFailedVerifications failures: rate_limited, even for a right code', async () => {
    await core.setTime(at(nowOf(core) + 30))
    for (let i = 0; i < 2; i++) {
      await assert.rejects(core.verify(cy.id, wrongTotp(secret, nowOf(core))), { code: 'MFA_INVALID_CODE' })
    }
    const limited = await core.verify(cy.id, totp(secret, nowOf(core))).catch((e) => e)
    assert.equal(limited.code, 'MFA_RATE_LIMITED')
    assert.equal(limited.status, 429)
    assert.equal(limited.retryAfter, 30)
    assert.equal(limited.problem.retry_after, 30)
    await core.setTime(at(nowOf(core) + 30))
    assert.equal((await core.verify(cy.id, totp(secret, nowOf(core)))).method, 'totp')
  })
})

describe('mfaStatus through the states', async () => {
  const core = await openMemory()
  const { bob } = await acme(core, { mfaRequired: true, enrollmentWindow: 600 })

  test('enrollment_required with a deadline, then locked_out when it passes', async () => {
    const pending = await core.mfaStatus(bob.id)
    assert.equal(pending.state, 'enrollment_required')
    assert.deepEqual(pending.deadline, at(T0 + 600))
    await core.setTime(at(T0 + 601))
    assert.equal((await core.mfaStatus(bob.id)).state, 'locked_out')
    await assert.rejects(core.beginEnrollment(bob.id), { code: 'MFA_FORBIDDEN' })
  })
})
