// The Node quickstart in TypeScript: open a store, bootstrap an org, enroll, reset, and handle
// errors by `code`. Type-checked against the generated declarations by `npm run typecheck`
// (bindings/node); the `@ts-expect-error` lines show what the types refuse.

import { Core, loadKey, type MfaError, type ResetReceipt } from 'mfa-core'

/** The key file from a KMS or secret store (32 raw bytes or 64 hex digits), never from code. */
const key: Buffer = loadKey(process.env.MFA_CORE_KEY_FILE ?? '/run/secrets/mfa-core.key')

const core: Core = await Core.open(process.env.MFA_CORE_DB ?? '/var/lib/myapp/mfa.db', key)
const org = await core.createOrg('Acme', { mfaRequired: true, resetLimitPerHour: 50 })
const owner = await core.createUser(org.id, 'olga@acme.example', 'owner')
const bob = await core.createUser(org.id, 'bob@acme.example', 'member')

// Bob scans the QR code of `uri` and types the code his app shows.
const { uri } = await core.beginEnrollment(bob.id)
console.log('show this as a QR code:', uri.length > 0)
const codeFromBob: string = process.env.BOB_CODE ?? '000000'
const { codes: recoveryCodes } = await core.confirmEnrollment(bob.id, codeFromBob)
console.log(`give Bob his ${recoveryCodes.length} recovery codes, once`)

// Bob loses his phone; the owner resets his MFA with a one-hour window.
try {
  const receipt: ResetReceipt = await core.resetMfa(owner.id, bob.id, {
    windowSeconds: 3600,
    reason: 'ticket 4711: lost phone',
  })
  const deadline: Date = receipt.deadline
  console.log(`Bob must enroll again before ${deadline.toISOString()}; end sessions older than epoch ${receipt.credentialEpoch}`)
} catch (e) {
  const err = e as MfaError
  switch (err.code) {
    case 'MFA_RATE_LIMITED':
      console.log(`too many resets, retry in ${err.retryAfter ?? 0} s`)
      break
    case 'MFA_FORBIDDEN':
    case 'MFA_NOT_FOUND':
      console.log(`refused (${err.status}): ${err.problem.detail}`)
      break
    default:
      throw err
  }
}

// Many at once: one outcome per target, a receipt or an error.
for (const outcome of await core.resetMfaMany(owner.id, [bob.id], { dryRun: true })) {
  const state: string = outcome.receipt?.state ?? outcome.error?.code ?? 'unreachable'
  console.log(outcome.target, state)
}

const status = await core.mfaStatus(bob.id)
const deadline: Date | null = status.deadline
console.log(status.state, deadline)

const events = await core.auditEvents({ action: 'mfa.reset', limit: 10 })
const checkpoint = await core.auditCheckpoint()
console.log(events.length, (await core.verifyAudit(checkpoint)).ok)

// @ts-expect-error: the window option is `windowSeconds`
await core.resetMfa(owner.id, bob.id, { window: 3600 })
// @ts-expect-error: roles are 'owner' | 'admin' | 'member'
await core.createUser(org.id, 'eve@acme.example', 'root')
// @ts-expect-error: the clock moves by Date, not by number
core.setTime(1700000000)
// @ts-expect-error: storage calls are Promises; the user comes from `await`
const notAUser: string = core.getUser(bob.id).email
console.log(notAUser)
