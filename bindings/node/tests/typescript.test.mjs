// The TypeScript example type-checks against the generated declarations (and its
// `@ts-expect-error` lines prove the types refuse misuse rather than being `any`).

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'

test('examples/node/quickstart.ts passes tsc --noEmit', () => {
  const tsc = new URL('../node_modules/typescript/bin/tsc', import.meta.url).pathname
  const project = new URL('../../../examples/node/', import.meta.url).pathname
  const run = spawnSync(process.execPath, [tsc, '--noEmit', '-p', project], { encoding: 'utf8' })
  assert.equal(run.status, 0, `tsc failed:\n${run.stdout}${run.stderr}`)
})
