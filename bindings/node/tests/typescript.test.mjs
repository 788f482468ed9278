// The declarations type-check real use: examples/node/quickstart.ts and tests/types/usage.ts
// (lifecycle, errors, setTime, recovery codes). Their `@ts-expect-error` lines prove the types
// refuse misuse rather than being `any`.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'

const tsc = new URL('../node_modules/typescript/bin/tsc', import.meta.url).pathname

function typecheck(project) {
  const run = spawnSync(process.execPath, [tsc, '--noEmit', '-p', project], { encoding: 'utf8' })
  assert.equal(run.status, 0, `tsc failed:\n${run.stdout}${run.stderr}`)
}

test('examples/node/quickstart.ts passes tsc --noEmit', () => {
  typecheck(new URL('../../../examples/node/', import.meta.url).pathname)
})

test('tests/types/usage.ts passes tsc --noEmit', () => {
  typecheck(new URL('./types/', import.meta.url).pathname)
})
