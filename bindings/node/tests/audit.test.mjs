// The audit trail (docs/audit.md) and a store on disk shared by two handles (docs/storage.md).

import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'

import { Core, KEY, T0, acme, at, enroll, openMemory } from './support/addon.mjs'

describe('audit trail', async () => {
  const core = await openMemory()
  const { org, owner, bob } = await acme(core)
  await enroll(core, bob)
  await core.resetMfa(owner.id, bob.id, { reason: 'ticket 42' })

  test('auditEvents: every event in seq order, Dates, detail objects, no secrets', async () => {
    const events = await core.auditEvents({ limit: 1000 })
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1))
    assert.deepEqual(events.map((e) => e.action), [
      'org.create', 'user.create', 'user.create', 'user.create', 'user.create',
      'mfa.enroll.begin', 'mfa.enroll.confirm', 'mfa.reset',
    ])
    const reset = events.at(-1)
    assert.equal(reset.org, org.id)
    assert.equal(reset.target, bob.id)
    assert.equal(reset.outcome, 'success')
    assert.equal(reset.code, null)
    assert.ok(reset.at instanceof Date)
    assert.equal(typeof reset.detail, 'object')
    assert.equal(reset.detail.deadline, T0 + 7 * 24 * 3600)
    assert.match(reset.mac, /^[0-9a-f]{64}$/)
  })

  test('filters and paging', async () => {
    const resets = await core.auditEvents({ action: 'mfa.reset' })
    assert.equal(resets.length, 1)
    const aboutBob = await core.auditEvents({ target: bob.id })
    assert.ok(aboutBob.every((e) => e.target === bob.id) && aboutBob.length === 4)
    const page = await core.auditEvents({ afterSeq: 2, limit: 3 })
    assert.deepEqual(page.map((e) => e.seq), [3, 4, 5])
    const denied = await core.resetMfa(bob.id, owner.id).catch((e) => e)
    assert.equal(denied.code, 'MFA_FORBIDDEN')
    const [last] = await core.auditEvents({ actor: bob.id, action: 'mfa.reset' })
    assert.equal(last.outcome, 'denied')
    assert.equal(last.code, 'forbidden')
  })

  test('auditCheckpoint and verifyAudit, with and without a checkpoint', async () => {
    const checkpoint = await core.auditCheckpoint()
    assert.equal(checkpoint.seq, 9)
    assert.match(checkpoint.mac, /^[0-9a-f]{64}$/)
    assert.deepEqual(await core.verifyAudit(), { ok: true, checked: 9, firstBadSeq: null })
    assert.deepEqual(await core.verifyAudit(checkpoint), { ok: true, checked: 9, firstBadSeq: null })
    const forged = { seq: 9, mac: '0'.repeat(64) }
    const report = await core.verifyAudit(forged)
    assert.equal(report.ok, false)
    assert.equal(report.firstBadSeq, 9)
  })
})

describe('a store on disk', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'mfa-node-')), 'mfa.db')

  test('two handles share it; another key is refused', async () => {
    const first = await Core.open(path, KEY, { manualClock: at(T0) })
    const org = await first.createOrg('Acme')
    const second = await Core.open(path, KEY)
    assert.deepEqual(await second.getOrg(org.id), org)
    const view = Buffer.concat([Buffer.alloc(8, 0xff), KEY]).subarray(8)
    assert.deepEqual(await (await Core.open(path, view)).getOrg(org.id), org, 'a view into a larger buffer is its own bytes')
    const other = Buffer.from(KEY).reverse()
    await assert.rejects(Core.open(path, other), { code: 'MFA_INVALID_INPUT', message: /key does not match/ })
  })

  test('a handle without manualClock uses the system clock', async () => {
    const core = await Core.open(path, KEY)
    const drift = Math.abs(core.now().getTime() - Date.now())
    assert.ok(drift < 5000, `now() is ${drift} ms off`)
  })
})
