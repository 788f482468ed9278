// Workloads A (reset storm) and B (verify storm) through the Node addon, the Node driver of
// scripts/bench.sh (examples/node/workloads.mjs runs all five workloads on a store of its own):
//
//   node examples/node/bench-driver.mjs FIXTURE_DIR RESETS VERIFIES [full|normal]
//
// Runs on a copy of the store that `workloads --make-fixture` wrote (every driver starts from the
// same file), one call at a time (each awaited in turn), and prints one JSON line with
// {ops_per_s, p50_us, p99_us, cpu_us} per workload; cpu_us is the process's user and system CPU
// (every thread, libuv's pool included) per call. After the runs the audit chain must hold every
// event and every reset target must be enrollment_required with credential_epoch 1, or the run
// exits non-zero and prints no figures.

import { createHmac } from 'node:crypto'
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'

const require = createRequire(import.meta.url)
// In an application: `import { Core } from 'mfa-core'`.
const { Core } = require('../../bindings/node')

const T0 = 1_700_000_010
const ADMINS = 20
const KEY = Buffer.alloc(32, 5)

/** RFC 4648 base32 (no padding) to bytes. */
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = 0
  let value = 0
  const out = []
  for (const c of text.replace(/=+$/, '')) {
    value = (value << 5) | alphabet.indexOf(c)
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

/** The authenticator's code (RFC 6238: SHA-1, 6 digits, 30 s) for Unix time `at`. */
function codeAt(secret, at) {
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30)))
  const mac = createHmac('sha1', secret).update(counter).digest()
  const offset = mac[mac.length - 1] & 0x0f
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0')
}

/** User plus system CPU of the whole process so far, in microseconds. */
function cpuMicros() {
  const { user, system } = process.cpuUsage()
  return user + system
}

function figures(latencies, wallMs, cpu) {
  const sorted = [...latencies].sort((a, b) => a - b)
  const pct = (p) => Math.round(sorted[Math.floor((sorted.length - 1) * p)] * 1000)
  return {
    ops_per_s: Math.round(sorted.length / (wallMs / 1000)),
    p50_us: pct(0.5),
    p99_us: pct(0.99),
    cpu_us: Math.round(cpu / sorted.length),
  }
}

async function timed(calls) {
  const latencies = []
  const cpu = cpuMicros()
  const start = performance.now()
  for (const call of calls) {
    const t = performance.now()
    await call()
    latencies.push(performance.now() - t)
  }
  return figures(latencies, performance.now() - start, cpuMicros() - cpu)
}

const [dir, resetsArg, verifiesArg, durability = 'full'] = process.argv.slice(2)
const resets = Number(resetsArg)
const verifies = Number(verifiesArg)
const index = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8'))
const work = mkdtempSync(join(dir, 'node-'))
try {
  const db = join(work, 'run.db')
  copyFileSync(join(dir, 'fixture.db'), db)
  const core = await Core.open(db, KEY, { manualClock: new Date((T0 + 60) * 1000), durability })
  const events = (await core.verifyAudit()).checked
  const targets = index.members.slice(0, resets)
  const users = [index.owner, ...index.admins, ...index.members.slice(resets)]
  const verifyCalls = []
  for (let r = 0, left = verifies; left > 0; r++) {
    const at = T0 + 60 + 30 * (r + 1)
    const round = users.slice(0, Math.min(left, users.length))
    left -= round.length
    verifyCalls.push(() => core.setTime(new Date(at * 1000)))
    for (const user of round) {
      const code = codeAt(base32(index.secrets[user]), at)
      verifyCalls.push(() => core.verify(user, code))
    }
  }

  const reset = await timed(targets.map((t, i) => () => core.resetMfa(index.admins[i % ADMINS], t)))
  // The clock moves are not calls: time the verifies only.
  const cpu = cpuMicros()
  const latencies = []
  const start = performance.now()
  for (const call of verifyCalls) {
    const t = performance.now()
    const result = call()
    if (result instanceof Promise) {
      await result
      latencies.push(performance.now() - t)
    }
  }
  const verify = figures(latencies, performance.now() - start, cpuMicros() - cpu)

  const report = await core.verifyAudit()
  if (!report.ok || report.checked !== events + resets + verifies) {
    throw new Error(`check failed: ${JSON.stringify(report)}`)
  }
  for (const t of targets) {
    const s = await core.mfaStatus(t)
    if (s.state !== 'enrollment_required' || s.credentialEpoch !== 1) {
      throw new Error(`check failed: target ${t} is ${JSON.stringify(s)}`)
    }
  }
  await core.close()
  console.log(JSON.stringify({ impl: 'node', sync: durability.toUpperCase(), resets, verifies, A_reset: reset, B_verify: verify }))
} finally {
  rmSync(work, { recursive: true, force: true })
}
