// RFC 6238 TOTP (SHA-1, 6 digits, 30 s), written independently of the addon with node:crypto,
// so that tests also show the codes are what an authenticator app computes.

import { createHmac } from 'node:crypto'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** RFC 4648 base32 (any case, padding optional) to bytes. */
export function decodeBase32(text) {
  const clean = text.toUpperCase().replace(/=+$/, '')
  let bits = 0
  let value = 0
  const out = []
  for (const ch of clean) {
    const index = ALPHABET.indexOf(ch)
    if (index < 0) throw new Error(`not base32: ${JSON.stringify(ch)}`)
    value = (value << 5) | index
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out.push((value >>> bits) & 0xff)
    }
  }
  return Buffer.from(out)
}

/** The RFC 4226 code of `counter`. */
export function hotp(key, counter) {
  const message = Buffer.alloc(8)
  message.writeBigUInt64BE(BigInt(counter))
  const mac = createHmac('sha1', key).update(message).digest()
  const offset = mac[mac.length - 1] & 0x0f
  const binary = mac.readUInt32BE(offset) & 0x7fffffff
  return String(binary % 1_000_000).padStart(6, '0')
}

/** The time step that contains `unixSeconds`. */
export function stepAt(unixSeconds) {
  return Math.floor(unixSeconds / 30)
}

/** The code of a base32 `secret` for the step `offset` steps after the one holding `at`. */
export function totp(secret, at, offset = 0) {
  return hotp(decodeBase32(secret), stepAt(at) + offset)
}

/**
 * A six-digit code accepted for none of steps t-1, t, t+1: from (code at t + 1) mod 10^6
 * upwards, the first that differs from all three (tests/scenarios/README.md).
 */
export function wrongTotp(secret, at) {
  const valid = [-1, 0, 1].map((k) => totp(secret, at, k))
  let candidate = (Number(valid[1]) + 1) % 1_000_000
  for (;;) {
    const code = String(candidate).padStart(6, '0')
    if (!valid.includes(code)) return code
    candidate = (candidate + 1) % 1_000_000
  }
}
