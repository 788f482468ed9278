// Every scenario of tests/scenarios/ replayed through the addon, with the Rust runner's
// outcomes (crates/mfa-scenarios).

import assert from 'node:assert/strict'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'

import { parse, runFile, scenarioFiles, withoutSecret } from './support/scenarios.mjs'

/** The Rust replay requires at least this many files; fewer means files went missing. */
const MIN_SCENARIOS = 25

const files = scenarioFiles()

test(`the scenario folder holds at least ${MIN_SCENARIOS} files`, () => {
  assert.ok(files.length >= MIN_SCENARIOS, `only ${files.length} scenario files`)
})

describe('scenarios', () => {
  for (const file of files) {
    test(file.split('/').pop(), async () => {
      await runFile(file)
    })
  }
})

describe('the runner itself', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'mfa-scenarios-'))
  const write = (name, scenario) => {
    const path = join(scratch, name)
    writeFileSync(path, JSON.stringify(scenario))
    return path
  }
  const bootstrap = [
    { op: 'create_org', args: { name: 'Acme', policy: {} }, as: 'acme' },
    { op: 'create_user', args: { org: 'acme', email: 'olga@acme.test', role: 'owner' }, as: 'olga' },
  ]

  test('refuses files with unknown keys or no covers', () => {
    assert.throws(() => parse('{"name": "x", "covers": ["s4"], "steps": [], "stepz": []}'))
    assert.throws(() => parse('{"name": "x", "covers": [], "steps": []}'))
    assert.equal(parse('{"name": "x", "covers": ["s4"], "steps": []}').name, 'x')
  })

  test('fails a scenario at the first step whose outcome differs, naming it', async () => {
    const path = write('wrong.json', {
      name: 'a wrong expectation',
      covers: ['s6'],
      steps: [...bootstrap, { op: 'get_user', args: { user: 'olga' }, expect: { ok: { role: 'admin' } } }],
    })
    await assert.rejects(runFile(path), /step 2: get_user: at "\/role": expected "admin", got "owner"/)
  })

  test('an expected error must be the one raised, with its retry_after', async () => {
    const path = write('code.json', {
      name: 'a wrong code',
      covers: ['s4'],
      steps: [...bootstrap, { op: 'reset_mfa', args: { actor: 'olga', target: { raw: 'nope' } }, expect: { error: 'not_found' } }],
    })
    await assert.rejects(runFile(path), /expected error not_found .* got error invalid_input/)
  })

  test('a mistyped argument is a harness failure, not an outcome', async () => {
    const path = write('typo.json', {
      name: 'a number for a string',
      covers: ['s6'],
      steps: [{ op: 'create_org', args: { name: 7 }, expect: { error: 'invalid_input' } }],
    })
    await assert.rejects(runFile(path), /"name" must be a string/)
  })

  const setup = [
    ...bootstrap,
    { op: 'create_user', args: { org: 'acme', email: 'bob@acme.test', role: 'member' }, as: 'bob' },
  ]
  const refused = { reopen: { key: 'second' }, expect: { error: 'invalid_input' } }
  const carl = (createdAt) => ({
    op: 'create_user',
    args: { org: 'acme', email: 'carl@acme.test', role: 'member' },
    expect: { ok: { created_at: createdAt } },
  })
  const onFile = (name, steps) => write(name, { name, covers: ['s8'], store: 'file', steps: [...setup, ...steps] })

  test('a file store is opened again with the clock where the scenario is', async () => {
    await runFile(onFile('reopen.json', [
      { advance: 45 },
      { reopen: { key: 'first' } },
      { op: 'get_user', args: { user: 'bob' }, expect: { ok: { created_at: 0 } } },
      carl(45),
    ]))
  })

  test('memory scenarios cannot reopen, and "store" must be "memory" or "file"', async () => {
    const memory = write('memory.json', { name: 'm', covers: ['s8'], steps: [...setup, { reopen: { key: 'first' } }] })
    await assert.rejects(runFile(memory), /step 3: "reopen" needs a scenario with "store": "file"/)
    assert.throws(() => parse('{"name": "x", "covers": ["s8"], "store": "disk", "steps": []}'), /"store" must be/)
  })

  test('a reopen fails when its outcome differs', async () => {
    const wrongExpect = onFile('expect.json', [{ reopen: { key: 'first' }, expect: { error: 'invalid_input' } }])
    await assert.rejects(runFile(wrongExpect), /step 3: reopen: expected error invalid_input/)
    await assert.rejects(runFile(onFile('wrongkey.json', [{ reopen: { key: 'second' } }])), /expected success, got error invalid_input/)
  })

  test('after a failed reopen no store is open until one succeeds', async () => {
    const none = onFile('none.json', [refused, { op: 'get_user', args: { user: 'bob' } }])
    await assert.rejects(runFile(none), /step 4: no store is open/)
    await runFile(onFile('again.json', [refused, { advance: 30 }, { reopen: { key: 'first' } }, carl(30)]))
  })

  test('keys are the three names or lowercase hex', async () => {
    for (const key of ['fourth', { hex: '0G' }, { hex: 'ABCD' }, { hex: 'abc' }, { hex: '00', x: 1 }, 7, { hex: '00 01' }]) {
      await assert.rejects(runFile(onFile('key.json', [{ reopen: { key } }])), /key/, JSON.stringify(key))
      const rotate = { op: 'rotate_key', args: { key }, expect: { error: 'invalid_input' } }
      await assert.rejects(runFile(write('rotate.json', { name: 'r', covers: ['s8'], steps: [...setup, rotate] })), /key/)
    }
  })

  test('rotate_key passes the bytes written', async () => {
    await runFile(write('bytes.json', {
      name: 'bytes',
      covers: ['s8'],
      steps: [
        ...setup,
        { op: 'rotate_key', args: { key: { hex: '0001' } }, expect: { error: 'invalid_input' } },
        { op: 'rotate_key', args: { key: 'first' }, expect: { error: 'invalid_input' } },
        { op: 'rotate_key', args: { key: 'second' }, expect: { ok: { seq: 4 } } },
      ],
    }))
  })

  test('checkpoints are bound by as or written out', async () => {
    const onMemory = (name, steps) => write(name, { name, covers: ['s7'], steps: [...setup, ...steps] })
    const saved = [{ op: 'audit_checkpoint', as: 'cp', expect: { ok: { seq: 3 } } }, carl(0)]
    const verify = { op: 'verify_audit', args: { checkpoint: 'cp' }, expect: { ok: { ok: true, checked: 4 } } }
    await runFile(onMemory('cp.json', [...saved, verify]))
    await assert.rejects(runFile(onMemory('id.json', [...saved, { op: 'get_user', args: { user: 'cp' } }])), /"cp" is not bound/)
    const unbound = onMemory('unbound.json', [{ op: 'verify_audit', args: { checkpoint: 'bob' } }])
    await assert.rejects(runFile(unbound), /not a bound checkpoint/)
    const rotate = { op: 'rotate_key', args: { key: 'first' }, as: 'cp', expect: { error: 'invalid_input' } }
    await assert.rejects(runFile(onMemory('rotate.json', [rotate])), /needs a checkpoint/)
    for (const bad of [{ seq: 3 }, { seq: -1, mac: '' }, { seq: 3, mac: '', at: 0 }, 3]) {
      const step = { op: 'verify_audit', args: { checkpoint: bad } }
      await assert.rejects(runFile(onMemory('bad.json', [step])), /checkpoint|unknown key/, JSON.stringify(bad))
    }
  })

  test('uris lose only their secret', () => {
    assert.equal(withoutSecret('otpauth://totp/A:b%40a.test?secret=ABC&issuer=A&digits=6'), 'otpauth://totp/A:b%40a.test?issuer=A&digits=6')
    assert.equal(withoutSecret('otpauth://totp/A:b?issuer=A&secret=ABC'), 'otpauth://totp/A:b?issuer=A')
  })
})
