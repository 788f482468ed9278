// Storage calls run off the JS thread (on the addon's own threads): a timer keeps firing while
// 500 resets commit to a file store with synchronous=FULL. Were the calls run on the JS thread,
// no tick could happen between the first call and the last result.

import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

import { Core, KEY, T0, at } from './support/addon.mjs'

const RESETS = 500

test(`setInterval keeps ticking while ${RESETS} resets run`, async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'mfa-node-')), 'mfa.db')
  const core = await Core.open(path, KEY, { manualClock: at(T0) })
  const org = await core.createOrg('Acme', { mfaRequired: true, resetLimitPerHour: RESETS })
  const owner = await core.createUser(org.id, 'owner@acme.test', 'owner')
  const targets = await Promise.all(
    Array.from({ length: RESETS }, (_, i) => core.createUser(org.id, `user${i}@acme.test`, 'member')),
  )

  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  const started = performance.now()
  const resets = targets.map((t) => core.resetMfa(owner.id, t.id, { windowSeconds: 60 }))
  const ticksWhenIssued = ticks
  const receipts = await Promise.all(resets)
  const elapsed = performance.now() - started
  clearInterval(timer)

  assert.equal(ticksWhenIssued, 0, 'issuing the calls must not wait for them')
  assert.equal(receipts.length, RESETS)
  assert.ok(receipts.every((r) => r.credentialEpoch === 1 && r.state === 'enrollment_required'))
  // A 1 ms timer on a free loop fires about once a millisecond; ask for one tick per 10 ms of
  // the run (at least one, at most ten), which only a blocked loop misses.
  const wanted = Math.max(1, Math.min(10, Math.floor(elapsed / 10)))
  assert.ok(ticks >= wanted, `only ${ticks} ticks in ${elapsed.toFixed(0)} ms of resets`)
})
