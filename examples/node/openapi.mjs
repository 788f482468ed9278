// The OpenAPI 3.1 document of the example host, built from the same route table the router
// uses (server.mjs), so an endpoint cannot be answered without being documented or the
// other way round.

/** RFC 7807 problem details as the host sends them (`application/problem+json`). */
const PROBLEM = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', description: '`urn:mfa-core:error:<code>`' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string', description: 'What was wrong; never a secret.' },
    code: {
      type: 'string',
      description: 'The error code to branch on (lowercase).',
      enum: ['invalid_input', 'unauthenticated', 'forbidden', 'not_found', 'mfa_not_enabled', 'conflict', 'invalid_code', 'rate_limited', 'storage', 'internal'],
    },
    instance: { type: 'string', description: 'The request path.' },
    retry_after: { type: 'integer', description: 'Seconds to wait, for `rate_limited` only.' },
  },
}

/** The error answers every authenticated endpoint may give, by status. */
const ERROR_DESCRIPTIONS = {
  400: 'Invalid input (a malformed id or body), or MFA is not enabled for the user',
  401: 'No token, an unknown token, or an actor that is disabled',
  403: 'The actor may not reset this user (a member; an admin resetting an owner; a self-reset without a code)',
  404: 'No such user in the actor\'s organization',
  413: 'The request body is larger than the host accepts',
  429: 'The actor\'s hourly reset limit is spent: retry after `Retry-After` seconds',
  500: 'The server failed',
  503: 'The store is busy or unavailable',
}

const problemResponse = (description, headers) => ({
  description,
  ...(headers === undefined ? {} : { headers }),
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
})

function errorResponses() {
  const responses = {}
  for (const [status, description] of Object.entries(ERROR_DESCRIPTIONS)) {
    let headers
    if (status === '401') headers = { 'WWW-Authenticate': { schema: { type: 'string', const: 'Bearer' } } }
    if (status === '429') headers = { 'Retry-After': { description: 'Seconds', schema: { type: 'integer', minimum: 1 } } }
    responses[status] = problemResponse(description, headers)
  }
  return responses
}

/** `{name}` segments of a path template, in order. */
export const templateParams = (template) => [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1])

/**
 * The document for `routes` (the server's table). Each route gives `method`, `path` (an
 * OpenAPI path template), `operationId`, `tag`, `summary`, `description`, `params` (schema and
 * description per template name), `body` (request body schema, `bodyRequired`), `ok` (status,
 * description, media type and schema of the success answer) and `public` (no token, no error
 * answers of the reset endpoints, only `errors` if given).
 */
export function openApiDocument(routes, { title, version }) {
  const paths = {}
  for (const route of routes) {
    const operation = {
      operationId: route.operationId,
      tags: [route.tag],
      summary: route.summary,
      description: route.description,
    }
    const names = templateParams(route.path)
    if (names.length > 0) {
      operation.parameters = names.map((name) => ({ name, in: 'path', required: true, ...route.params[name] }))
    }
    if (route.body !== undefined) {
      operation.requestBody = {
        required: route.bodyRequired === true,
        content: { 'application/json': { schema: route.body } },
      }
    }
    const ok = { description: route.ok.description }
    if (route.ok.schema !== undefined) ok.content = { [route.ok.type ?? 'application/json']: { schema: route.ok.schema } }
    if (route.public) {
      operation.security = []
      operation.responses = { [route.ok.status]: ok }
      for (const [status, description] of Object.entries(route.errors ?? {})) operation.responses[status] = problemResponse(description)
    } else {
      operation.responses = { [route.ok.status]: ok, ...errorResponses() }
    }
    paths[route.path] ??= {}
    paths[route.path][route.method.toLowerCase()] = operation
  }
  return {
    openapi: '3.1.0',
    info: {
      title,
      version,
      description:
        'The MFA reset endpoints of five vendor APIs, answered by one mfa-core store. Every rule ' +
        '(who may reset whom, rate limits, the audit trail) is the core\'s; errors are RFC 7807 ' +
        'problem details. Authenticate with `Authorization: Bearer <token>` (or `x-api-key`).',
    },
    servers: [{ url: '/' }],
    security: [{ bearerAuth: [] }, { apiKey: [] }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'A session token of the acting user.' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The same token, as JumpCloud clients send it.' },
      },
      schemas: { Problem: PROBLEM },
    },
  }
}
