// The Swagger UI page at /docs: the `swagger-ui-dist` package's files, served by the host itself
// (no CDN), over the host's /openapi.json.

import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const require = createRequire(import.meta.url)

/** The page; its only script besides the bundle is `/docs/init.js`, so the CSP can forbid inline code. */
const PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>mfa-core example host: API</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`

/** `validatorUrl: null`: the default would send the document to an outside validator. */
const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
})
`

/** Files of `swagger-ui-dist` the page loads, with their media types: nothing else is served. */
const PACKAGE_ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
}

/** The names `/docs/{asset}` answers. */
export const DOC_ASSETS = ['init.js', ...Object.keys(PACKAGE_ASSETS)]

/** Scripts and styles from this origin only; Swagger UI sets inline styles and data: images. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"

const cache = new Map()

/** Read once, then kept: the bundle is 1.7 MB and never changes while the host runs. */
async function packageFile(name) {
  if (!cache.has(name)) {
    const dir = require('swagger-ui-dist').getAbsoluteFSPath()
    cache.set(name, readFile(join(dir, name)))
  }
  return cache.get(name)
}

/** `[status, bytes, headers]` for the page. */
export function docsPage() {
  return [200, Buffer.from(PAGE), { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP }]
}

/** `[status, bytes, headers]` for one asset, or `undefined` for a name not served. */
export async function docsAsset(name) {
  const headers = { 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }
  if (name === 'init.js') return [200, Buffer.from(INIT), { ...headers, 'content-type': 'text/javascript; charset=utf-8' }]
  if (!Object.hasOwn(PACKAGE_ASSETS, name)) return undefined
  return [200, await packageFile(name), { ...headers, 'content-type': PACKAGE_ASSETS[name] }]
}
