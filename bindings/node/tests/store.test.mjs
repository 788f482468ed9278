// The store file: a new one is owner-only, `info` describes it, an empty file is refused and
// kept, creation can be turned off, and durability is an option.

import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

import { Core, KEY, contractCode, openMemory } from './support/addon.mjs'

const fresh = () => mkdtempSync(join(tmpdir(), 'mfa-node-store-'))

test('a new store and its -wal/-shm are 0600 whatever the umask; info says so', async () => {
  const path = join(fresh(), 'store.db')
  const old = process.umask(0)
  let core
  try {
    core = await Core.open(path, KEY)
    await core.createOrg('Acme')
  } finally {
    process.umask(old)
  }
  for (const name of [path, `${path}-wal`, `${path}-shm`]) {
    assert.equal(statSync(name).mode & 0o777, 0o600, name)
  }
  const info = await core.info()
  assert.equal(info.path, path)
  assert.equal(info.engine, 'sqlite')
  assert.equal(info.mode, 0o600)
  assert.equal(info.readableByOthers, false)
  assert.ok(info.schemaVersion >= 1)

  chmodSync(path, 0o644)
  const again = await Core.open(path, KEY)
  assert.equal((await again.info()).readableByOthers, true)

  const memory = await (await openMemory()).info()
  assert.deepEqual([memory.path, memory.mode, memory.readableByOthers, memory.engine], [null, null, false, 'sqlite'])
})

test('an empty file is refused and left as it is; createIfMissing: false never creates', async () => {
  const dir = fresh()
  const empty = join(dir, 'empty.db')
  writeFileSync(empty, '')
  await assert.rejects(Core.open(empty, KEY), (err) => contractCode(err) === 'storage' && /empty/.test(err.message))
  assert.equal(readFileSync(empty).length, 0)

  const missing = join(dir, 'missing.db')
  await assert.rejects(
    Core.open(missing, KEY, { createIfMissing: false }),
    (err) => contractCode(err) === 'storage' && /no store/.test(err.message),
  )
  assert.equal(existsSync(missing), false)
  await assert.rejects(Core.open(missing, KEY, { createIfMissing: 'no' }), (err) => contractCode(err) === 'invalid_input')
})

test('durability is full or normal', async () => {
  const path = join(fresh(), 'store.db')
  const core = await Core.open(path, KEY, { durability: 'normal' })
  const org = await core.createOrg('Acme')
  const again = await Core.open(path, KEY, { durability: 'full', createIfMissing: false })
  assert.equal((await again.getOrg(org.id)).name, 'Acme')
  await assert.rejects(Core.open(':memory:', KEY, { durability: 'fast' }), (err) => contractCode(err) === 'invalid_input')
})
