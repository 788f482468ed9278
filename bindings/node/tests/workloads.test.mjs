// examples/node/workloads.mjs (the benchmark workloads through the addon) runs at a small size,
// passes its own checks and prints one JSON line with every workload's figures.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

test('workloads.mjs at a small size prints one JSON line and leaves no store behind', () => {
  const script = new URL('../../../examples/node/workloads.mjs', import.meta.url).pathname
  const dir = mkdtempSync(join(tmpdir(), 'mfa-node-workloads-'))
  const args = [script, '--members', '60', '--resets', '20', '--verifies', '50', '--dir', dir]
  const run = spawnSync(process.execPath, args, { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  const lines = run.stdout.trim().split('\n')
  assert.equal(lines.length, 1, run.stdout)
  const line = JSON.parse(lines[0])
  assert.equal(line.impl, 'node')
  assert.deepEqual([line.members, line.resets, line.verifies], [60, 20, 50])
  for (const workload of ['A_reset', 'B_verify', 'C_reset_8_promises']) {
    assert.ok(line[workload].ops_per_s > 0, workload)
    assert.ok(line[workload].p50_us <= line[workload].p99_us, workload)
  }
  assert.ok(line.D_bulk.targets_per_s > 0)
  assert.ok(line.E_verify_audit.events >= 2 * 20 + 50, 'the resets and verifies are in the chain')
  assert.deepEqual(readdirSync(dir), [], 'closed and removed')
})
