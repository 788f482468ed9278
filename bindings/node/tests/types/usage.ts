// What the declarations promise about the lifecycle, errors, `setTime` and recovery codes; the
// `@ts-expect-error` lines fail the check if the types stop refusing the misuse they name.

import { Core, MfaError, RecoveryCodes, type ErrorCode, type ProblemDetails } from 'mfa-core'

export async function lifecycle(key: Uint8Array): Promise<void> {
  // `await using` closes the handle at the end of the block (`Symbol.asyncDispose`).
  await using core = await Core.open(':memory:', key, { manualClock: new Date(0) })
  const closed: boolean = core.closed
  const moved: Promise<void> = core.setTime(new Date(30_000))
  await moved
  // @ts-expect-error setTime takes a Date, not Unix seconds
  await core.setTime(30)
  const done: Promise<void> = core.close()
  await done
  console.log(closed)
}

export async function errors(core: Core, actor: string, target: string): Promise<number> {
  try {
    await core.resetMfa(actor, target)
    return 200
  } catch (err) {
    if (!(err instanceof MfaError)) throw err
    const code: ErrorCode = err.code
    const problem: ProblemDetails = { ...err.problemDetails(), type: err.problem.type }
    const wait: number | undefined = err.retryAfter
    // @ts-expect-error code is a union of the ten codes
    const nope: 'MFA_TEAPOT' = err.code
    console.log(code, problem, wait, nope, err.stack)
    return err.status
  }
}

export function mock(): MfaError {
  return new MfaError({ type: 'urn:mfa-core:error:forbidden', title: 'Forbidden', status: 403, detail: 'no', code: 'forbidden' })
}

export async function recovery(core: Core, user: string, code: string): Promise<string> {
  const codes: RecoveryCodes = await core.confirmEnrollment(user, code)
  const n: number = codes.length
  const first: string = codes[0]
  for (const c of codes) console.log(c.length)
  const plain: string[] = codes.codes
  const isCodes: boolean = codes instanceof RecoveryCodes
  // @ts-expect-error the codes are read-only
  codes.push('x')
  // @ts-expect-error ... element by element too
  codes[0] = 'x'
  return `${n} ${first} ${plain.join()} ${isCodes}`
}
