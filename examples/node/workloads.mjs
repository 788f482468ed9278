// The shared benchmark workloads through the Node addon, one JSON line per run:
//
//   node examples/node/workloads.mjs [--members N] [--resets R] [--verifies V] [--dir D]
//                                    [--rust BIN] [--runs K]
//
// A: reset storm (one call at a time, each awaited), B: verify storm, C: the reset storm as 8
// concurrent Promises on one handle (they share commits), D: `resetMfaMany`, E: `verifyAudit`
// throughput. The store is a real file under `--dir` (default `target`, which should not be a
// tmpfs), WAL with synchronous=FULL. After the runs the chain, the reset targets' states and the
// event counts are checked; a failed check exits non-zero and prints no figures.
//
// `--rust BIN` (the release build of `cargo run --release -p mfa-core --example workloads`)
// interleaves K runs of the Rust example with K runs of this script at the same sizes and
// prints, after every run's line, one `"impl": "node-vs-rust"` line: the median calls/s and p50
// of A and B on both surfaces, Node's ratio to Rust, and what Node adds per call (µs).

import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { parseArgs } from 'node:util'

// In an application: `import { Core } from 'mfa-core'`.
const { Core } = createRequire(import.meta.url)('../../bindings/node')

const T0 = 1_700_000_010
const ADMINS = 20
const CONCURRENCY = 8
const KEY = Buffer.alloc(32, 5)

const { values: flags } = parseArgs({
  options: {
    members: { type: 'string', default: '10000' },
    resets: { type: 'string', default: '5000' },
    verifies: { type: 'string', default: '20000' },
    dir: { type: 'string', default: 'target' },
    rust: { type: 'string' },
    runs: { type: 'string', default: '3' },
  },
})
const MEMBERS = Number(flags.members)
const RESETS = Number(flags.resets)
const VERIFIES = Number(flags.verifies)
if (!(RESETS * 2 <= MEMBERS)) throw new Error('--resets must be at most half of --members')

/** RFC 6238 (SHA-1, 6 digits, 30 s): the authenticator's code of `secret` bytes at `at`. */
function codeAt(secret, at) {
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30)))
  const mac = createHmac('sha1', secret).update(counter).digest()
  const offset = mac[mac.length - 1] & 0x0f
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0')
}

/** RFC 4648 base32 to bytes. */
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = 0
  let value = 0
  const out = []
  for (const ch of text) {
    value = (value << 5) | alphabet.indexOf(ch)
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out.push((value >>> bits) & 0xff)
    }
  }
  return Buffer.from(out)
}

/** Runs `call(item)` for every item, `width` at a time. */
async function inParallel(items, width, call) {
  const out = new Array(items.length)
  let next = 0
  const lane = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await call(items[i], i)
    }
  }
  await Promise.all(Array.from({ length: width }, lane))
  return out
}

/** One store set up as the workloads say, with every user's secret kept to compute codes. */
async function fixture() {
  const dir = mkdtempSync(join(flags.dir, 'mfa-node-bench-'))
  const core = await Core.open(join(dir, 'bench.db'), KEY, { manualClock: new Date(T0 * 1000) })
  const policy = { mfaRequired: true, enrollmentWindow: 7 * 86_400, resetLimitPerHour: 1_000_000, maxFailedVerifications: 5 }
  const org = await core.createOrg('Bench', policy)
  const people = [['owner@bench.test', 'owner']]
  for (let i = 0; i < ADMINS; i++) people.push([`admin${i}@bench.test`, 'admin'])
  for (let i = 0; i < MEMBERS; i++) people.push([`m${i}@bench.test`, 'member'])
  const secrets = new Map()
  // Set-up rides on group commit: eight calls in flight at a time.
  const ids = await inParallel(people, CONCURRENCY, async ([email, role]) => {
    const { id } = await core.createUser(org.id, email, role)
    const secret = base32((await core.beginEnrollment(id)).secret)
    await core.confirmEnrollment(id, codeAt(secret, T0))
    secrets.set(id, secret)
    return id
  })
  return { core, dir, secrets, owner: ids[0], admins: ids.slice(1, ADMINS + 1), members: ids.slice(ADMINS + 1) }
}

/** `{ops_per_s, p50_us, p99_us}` from per-call latencies (ms) and the phase's wall time (ms). */
function figures(latencies, wall) {
  latencies.sort((a, b) => a - b)
  const pct = (p) => Math.round(latencies[Math.floor((latencies.length - 1) * p)] * 1000)
  return { ops_per_s: Math.round(latencies.length / (wall / 1000)), p50_us: pct(0.5), p99_us: pct(0.99) }
}

async function resetStorm(f, targets) {
  const latencies = []
  const start = performance.now()
  for (let i = 0; i < targets.length; i++) {
    const t = performance.now()
    await f.core.resetMfa(f.admins[i % ADMINS], targets[i])
    latencies.push(performance.now() - t)
  }
  return figures(latencies, performance.now() - start)
}

async function concurrentResetStorm(f, targets) {
  const start = performance.now()
  const latencies = await inParallel(targets, CONCURRENCY, async (target, i) => {
    const t = performance.now()
    await f.core.resetMfa(f.admins[i % ADMINS], target)
    return performance.now() - t
  })
  return figures(latencies, performance.now() - start)
}

async function verifyStorm(f, users, calls) {
  const rounds = Math.ceil(calls / users.length)
  // Codes computed before the phase: round r runs one step after round r - 1.
  const plan = Array.from({ length: rounds }, (_, r) => {
    const time = T0 + 60 + 30 * (r + 1)
    return [time, users.map((u) => codeAt(f.secrets.get(u), time))]
  })
  const latencies = []
  const start = performance.now()
  for (const [time, codes] of plan) {
    await f.core.setTime(new Date(time * 1000))
    for (let i = 0; i < users.length && latencies.length < calls; i++) {
      const t = performance.now()
      await f.core.verify(users[i], codes[i])
      latencies.push(performance.now() - t)
    }
  }
  return figures(latencies, performance.now() - start)
}

function check(ok, what) {
  if (!ok) {
    console.error(`check failed: ${what}`)
    process.exit(1)
  }
}

async function checkResets(core, targets) {
  for (const t of targets) {
    const s = await core.mfaStatus(t)
    check(s.state === 'enrollment_required' && s.credentialEpoch === 1, `target ${t}: ${s.state} ${s.credentialEpoch}`)
  }
}

async function count(core, action) {
  let n = 0
  let afterSeq = 0
  for (;;) {
    const page = await core.auditEvents({ afterSeq, limit: 10_000, action })
    if (page.length === 0) return n
    n += page.filter((e) => e.outcome === 'success').length
    afterSeq = page[page.length - 1].seq
  }
}

/** One run of every workload; returns the run's JSON line as an object. */
async function run() {
  const f = await fixture()
  await f.core.setTime(new Date((T0 + 60) * 1000))
  const aTargets = f.members.slice(0, RESETS)
  const rest = f.members.slice(RESETS)
  const reset = await resetStorm(f, aTargets)
  const verify = await verifyStorm(f, [f.owner, ...f.admins, ...rest], VERIFIES)
  const bulkTargets = rest.slice(0, RESETS)
  let start = performance.now()
  const outcomes = await f.core.resetMfaMany(f.owner, bulkTargets)
  const bulkWall = performance.now() - start
  check(outcomes.every((o) => o.receipt !== null), 'every bulk reset succeeds')
  start = performance.now()
  const audit = await f.core.verifyAudit()
  const auditWall = performance.now() - start
  check(audit.ok, 'the audit chain verifies')
  await checkResets(f.core, aTargets)
  await checkResets(f.core, bulkTargets)
  check((await count(f.core, 'mfa.reset')) === 2 * RESETS, 'one mfa.reset event per reset')
  check((await count(f.core, 'mfa.verify')) === VERIFIES, 'one mfa.verify event per verify')

  const g = await fixture()
  await g.core.setTime(new Date((T0 + 60) * 1000))
  const cTargets = g.members.slice(0, RESETS)
  const concurrent = await concurrentResetStorm(g, cTargets)
  check((await g.core.verifyAudit()).ok, 'the audit chain verifies (C)')
  await checkResets(g.core, cTargets)
  for (const x of [f, g]) {
    await x.core.close?.()
    rmSync(x.dir, { recursive: true, force: true })
  }
  return {
    impl: 'node',
    sync: 'FULL',
    members: MEMBERS,
    resets: RESETS,
    verifies: VERIFIES,
    A_reset: reset,
    B_verify: verify,
    C_reset_8_promises: concurrent,
    D_bulk: { targets_per_s: Math.round(RESETS / (bulkWall / 1000)) },
    E_verify_audit: { events: audit.checked, events_per_s: Math.round(audit.checked / (auditWall / 1000)) },
  }
}

/** One run of the Rust example at the same sizes: its `"impl": "rust"` line. */
function rustRun() {
  const args = ['--members', flags.members, '--resets', flags.resets, '--verifies', flags.verifies, '--dir', flags.dir]
  const done = spawnSync(flags.rust, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  check(done.status === 0, `${flags.rust} exited with ${done.status}`)
  const lines = done.stdout.trim().split('\n').map((l) => JSON.parse(l))
  return lines.find((l) => l.impl === 'rust')
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]

if (flags.rust === undefined) {
  console.log(JSON.stringify(await run()))
} else {
  const node = []
  const rust = []
  for (let i = 0; i < Number(flags.runs); i++) {
    rust.push(rustRun())
    console.log(JSON.stringify(rust.at(-1)))
    node.push(await run())
    console.log(JSON.stringify(node.at(-1)))
  }
  const side = (workload) => {
    const n = median(node.map((r) => r[workload].ops_per_s))
    const r = median(rust.map((x) => x[workload].ops_per_s))
    const np50 = median(node.map((x) => x[workload].p50_us))
    const rp50 = median(rust.map((x) => x[workload].p50_us))
    return {
      ratio: Math.round((n / r) * 100) / 100,
      node_ops_per_s: n,
      rust_ops_per_s: r,
      added_us_per_call: Math.round(1e6 / n - 1e6 / r),
      node_p50_us: np50,
      rust_p50_us: rp50,
      added_p50_us: np50 - rp50,
    }
  }
  console.log(JSON.stringify({ impl: 'node-vs-rust', runs: node.length, A_reset: side('A_reset'), B_verify: side('B_verify') }))
}
