// The addon as tests load it, and the store most tests start from.

import { createRequire } from 'node:module'

import { totp } from './totp.mjs'

const require = createRequire(import.meta.url)

/** The package itself, through its entry point (package.json `main`). */
export const { Core, MfaError, RecoveryCodes, loadKey } = require('../..')

/** Scenario time zero (a TOTP step boundary), in Unix seconds. */
export const T0 = 1_700_000_010

/** Every scenario's key: the bytes 0 to 31. */
export const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i))

/** Unix seconds to a Date. */
export const at = (unixSeconds) => new Date(unixSeconds * 1000)

/** A fresh in-memory store with a manual clock at `t0`. */
export function openMemory(t0 = T0) {
  return Core.open(':memory:', KEY, { manualClock: at(t0) })
}

/** The error code (`forbidden`) of an addon error (`MFA_FORBIDDEN`). */
export function contractCode(err) {
  if (typeof err?.code !== 'string' || !err.code.startsWith('MFA_')) {
    throw new Error(`not an addon error: ${err?.stack ?? err}`)
  }
  return err.code.slice('MFA_'.length).toLowerCase()
}

/** An org with an owner, an admin and two members; the members are optionally enrolled. */
export async function acme(core, policy = {}) {
  const org = await core.createOrg('Acme', policy)
  const user = (email, role) => core.createUser(org.id, `${email}@acme.test`, role)
  return {
    org,
    owner: await user('olga', 'owner'),
    admin: await user('ann', 'admin'),
    bob: await user('bob', 'member'),
    cy: await user('cy', 'member'),
  }
}

/** The handle's clock in Unix seconds. */
export const nowOf = (core) => Math.floor(core.now().getTime() / 1000)

/** Enrolls `user` with the code of the current step; returns its secret and recovery codes. */
export async function enroll(core, user) {
  const { secret } = await core.beginEnrollment(user.id)
  const { codes: recoveryCodes } = await core.confirmEnrollment(user.id, totp(secret, nowOf(core)))
  return { secret, recoveryCodes }
}
