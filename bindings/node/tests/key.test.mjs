// loadKey: the key file format every surface reads (32 raw bytes or 64 hex digits).

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

import { Core, KEY, MfaError, loadKey } from './support/addon.mjs'

const dir = mkdtempSync(join(tmpdir(), 'mfa-node-key-'))

function keyFile(name, contents, mode = 0o600) {
  const path = join(dir, name)
  writeFileSync(path, contents, { mode })
  return path
}

const invalid = (pattern) => (err) => err instanceof MfaError && err.code === 'MFA_INVALID_INPUT' && pattern.test(err.message)

test('raw and hex files give the same key and open the same store', async () => {
  const raw = keyFile('raw.key', KEY)
  const hex = keyFile('hex.key', `${KEY.toString('hex').toUpperCase()}\n`, 0o400)
  assert.ok(Buffer.isBuffer(loadKey(raw)))
  assert.deepEqual(loadKey(raw), KEY)
  assert.deepEqual(loadKey(hex), KEY)
  const path = join(dir, 'same.db')
  const first = await Core.open(path, loadKey(raw))
  const org = await first.createOrg('Acme')
  await first.close()
  const second = await Core.open(path, loadKey(hex), { createIfMissing: false })
  assert.equal((await second.getOrg(org.id)).name, 'Acme')
  await second.close()
})

test('a bad length or non-hex text is MFA_INVALID_INPUT, without the bytes', () => {
  const notHex = `zz${KEY.toString('hex').slice(2)}`
  for (const contents of [Buffer.alloc(0), KEY.subarray(1), Buffer.concat([KEY, Buffer.of(0)]), KEY.toString('hex').slice(2), notHex]) {
    const path = keyFile('bad.key', contents)
    assert.throws(() => loadKey(path), invalid(/32 raw bytes or 64 hex digits/))
    assert.throws(() => loadKey(path), (err) => !err.message.includes(KEY.toString('hex').slice(4)))
  }
})

test('a key file others can read, a missing file and a non-string path are refused', () => {
  const open = keyFile('open.key', KEY, 0o644)
  assert.throws(() => loadKey(open), invalid(/UNPROTECTED KEY FILE.*chmod 600/))
  assert.throws(() => loadKey(join(dir, 'missing.key')), invalid(/cannot read key file/))
  assert.throws(() => loadKey(Buffer.from(open)), invalid(/path must be a string/))
  assert.throws(() => loadKey(), invalid(/path must be a string/))
})

test('a store made by mfa-admin init --generate-key opens with its key file', async () => {
  const admin = process.env.MFA_ADMIN
  assert.ok(admin, 'set MFA_ADMIN to the mfa-admin binary (scripts/test-node.sh does)')
  const db = join(dir, 'admin.db')
  const key = join(dir, 'admin.key')
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MFA_CORE_')))
  execFileSync(admin, ['init', '--generate-key'], { env: { ...env, MFA_CORE_DB: db, MFA_CORE_KEY_FILE: key }, stdio: 'pipe' })
  const core = await Core.open(db, loadKey(key), { createIfMissing: false })
  assert.deepEqual(await core.listOrgs(), [])
  await core.close()
})
