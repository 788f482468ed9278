// Store calls run on the addon's own threads, not libuv's pool: while another process holds the
// write lock and eight writes wait for it (more than libuv's four pool threads), fs.readFile
// still completes, and about as fast as before the lock was taken.
//
// The lock holder is a Python process (its standard sqlite3 module): BEGIN IMMEDIATE, print
// "locked", wait for a line on stdin (or 20 s at most), COMMIT, print "released". The test decides
// when the lock goes away, so what it checks is an order of events, not a duration: every read
// finished while the lock was still held and every write still waiting. Were the writes on
// libuv's pool, no read could finish until the release.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { test } from 'node:test'

import { Core, KEY, T0, acme, at, enroll } from './support/addon.mjs'

const WRITES = 8
const READS = 20

const HOLDER = `
import sqlite3, sys, threading
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), done.set()), daemon=True).start()
done.wait(20)
db.execute("COMMIT")
print("released", flush=True)
`

/** Milliseconds each of `READS` sequential reads of `file` takes, sorted. */
async function readTimes(file) {
  const times = []
  for (let i = 0; i < READS; i++) {
    const start = performance.now()
    await readFile(file)
    times.push(performance.now() - start)
  }
  return times.sort((a, b) => a - b)
}

const median = (sorted) => sorted[Math.floor(sorted.length / 2)]

test(`fs.readFile completes while ${WRITES} writes wait for another process's write lock`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mfa-node-'))
  const path = join(dir, 'mfa.db')
  const file = join(dir, 'other.txt')
  writeFileSync(file, 'x'.repeat(64 * 1024))
  const core = await Core.open(path, KEY, { manualClock: at(T0) })
  const { org, owner } = await acme(core, { resetLimitPerHour: 1000 })
  const targets = []
  for (let i = 0; i < WRITES; i++) {
    const user = await core.createUser(org.id, `t${i}@acme.test`, 'member')
    await enroll(core, user)
    targets.push(user)
  }
  const before = await readTimes(file)

  const holder = spawn('python3', ['-c', HOLDER, path], { stdio: ['pipe', 'pipe', 'inherit'] })
  const events = []
  const lines = createInterface({ input: holder.stdout })
  lines.on('line', (line) => events.push(line))
  const exited = once(holder, 'exit')
  try {
    await once(lines, 'line')
    assert.deepEqual(events, ['locked'])

    let settled = 0
    const writes = targets.map((t) =>
      core.resetMfa(owner.id, t.id).finally(() => {
        settled++
      }),
    )
    // Let the writes reach SQLite and start waiting on the lock.
    await new Promise((resolve) => setTimeout(resolve, 200))
    const during = await readTimes(file)

    assert.deepEqual(events, ['locked'], 'the reads finished while the other process held the lock')
    assert.equal(settled, 0, 'and while every write was still waiting for it')
    const bound = Math.max(20 * median(before), 50)
    assert.ok(
      median(during) < bound,
      `a read took ${median(during).toFixed(2)} ms (median) during the wait, ${median(before).toFixed(2)} ms before`,
    )

    holder.stdin.end('release\n')
    const receipts = await Promise.all(writes)
    assert.deepEqual(events, ['locked', 'released'])
    assert.ok(receipts.every((r) => r.credentialEpoch === 1), 'every write went through once the lock was free')
  } finally {
    holder.stdin.end()
    await exited
    await core.close()
  }
  assert.equal(holder.exitCode, 0)
})

// The worker's exit also checks that the addon closes what it keeps on the worker's event loop:
// Node aborts the process when a loop ends with a handle still open.
test('a worker thread has its own results channel: calls there and on the main thread both settle', async () => {
  const { Worker } = await import('node:worker_threads')
  const script = `
    const { parentPort } = require('node:worker_threads')
    const { Core, MfaError } = require(${JSON.stringify(new URL('../main.js', import.meta.url).pathname)})
    ;(async () => {
      const core = await Core.open(':memory:', Buffer.alloc(32, 1))
      const org = await core.createOrg('InWorker')
      const users = await Promise.all([0, 1, 2].map((i) => core.createUser(org.id, 'w' + i + '@w.test', 'member')))
      const err = await core.getUser('nope').catch((e) => e)
      await core.close()
      parentPort.postMessage({ users: users.length, mfaError: err instanceof MfaError, code: err.code })
    })()
  `
  const worker = new Worker(script, { eval: true })
  const exited = once(worker, 'exit')
  const core = await Core.open(':memory:', KEY)
  const [message] = await Promise.all([once(worker, 'message'), core.createOrg('OnMain')])
  assert.deepEqual(message[0], { users: 3, mfaError: true, code: 'MFA_INVALID_INPUT' })
  assert.equal((await core.listOrgs()).length, 1)
  await exited
  await core.close()
})

test('terminating a worker with calls in flight neither crashes nor disturbs the main thread', async () => {
  const { Worker } = await import('node:worker_threads')
  const path = join(mkdtempSync(join(tmpdir(), 'mfa-node-')), 'mfa.db')
  const script = `
    const { parentPort, workerData } = require('node:worker_threads')
    const { Core } = require(${JSON.stringify(new URL('../main.js', import.meta.url).pathname)})
    ;(async () => {
      const core = await Core.open(workerData, Buffer.alloc(32, 1))
      const org = await core.createOrg('Doomed')
      for (let i = 0; i < 200; i++) core.createUser(org.id, 'd' + i + '@d.test', 'member')
      parentPort.postMessage(org.id)
    })()
  `
  const worker = new Worker(script, { eval: true, workerData: path })
  const [orgId] = await once(worker, 'message')
  await worker.terminate()
  const core = await Core.open(path, Buffer.alloc(32, 1))
  const users = await core.listUsers(orgId)
  assert.ok(users.length <= 200)
  assert.equal((await core.verifyAudit()).ok, true)
  await core.close()
})
