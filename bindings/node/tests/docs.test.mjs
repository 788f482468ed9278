// The README's Node quickstart (section "Use from Node") runs as written, and prints what its
// comments say.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

test('the Node quickstart of README.md runs and prints what it promises', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
  const doc = readme.slice(readme.indexOf('## Use from Node'))
  const block = doc.split('### Quickstart')[1].match(/```js\n([^]*?)```/)[1]
  const addon = new URL('../main.js', import.meta.url).pathname
  assert.match(block, /from 'mfa-core'/)
  const dir = mkdtempSync(join(tmpdir(), 'mfa-doc-'))
  const script = join(dir, 'quickstart.mjs')
  writeFileSync(script, block.replace("from 'mfa-core'", `from ${JSON.stringify(addon)}`))
  // The key file the quickstart loads, in the hex form `mfa-admin init` writes.
  const keyFile = join(dir, 'mfa-core.key')
  writeFileSync(keyFile, `${'5a'.repeat(32)}\n`, { mode: 0o600 })
  const env = { ...process.env, MFA_CORE_KEY_FILE: keyFile }
  const run = spawnSync(process.execPath, [script], { encoding: 'utf8', env })
  assert.equal(run.status, 0, run.stderr)
  const lines = run.stdout.trim().split('\n')
  assert.equal(lines.length, 4, run.stdout)
  assert.equal(lines[0], 'Enrollment {}')
  assert.match(lines[1], /^enrollment_required \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z 1$/)
  assert.equal(lines[2], 'MFA_FORBIDDEN 403 urn:mfa-core:error:forbidden')
  assert.equal(lines[3], 'true')
})
