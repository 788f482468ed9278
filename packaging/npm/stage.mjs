// Lays out the main `mfa-core` npm package for release from the source package (bindings/node):
// node stage.mjs SOURCE_DIR NPM_PACK_JSON OUT_DIR
//
// NPM_PACK_JSON is `npm pack --dry-run --json` of the source package: the files npm would
// publish from it. They are copied except the addon binaries, which go to the per-platform
// package instead; the manifest loses what only development needs (scripts, devDependencies,
// `private`) and gets an explicit `files` list and the Node versions the addon runs on.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

const [sourceDir, packJson, outDir] = process.argv.slice(2)
if (!outDir) throw new Error('usage: stage.mjs SOURCE_DIR NPM_PACK_JSON OUT_DIR')

// Written by the release (the README and license texts of the repository root).
const releaseFiles = ['README.md', 'LICENSE', 'LICENSE-MIT', 'LICENSE-APACHE']

// Node-API 8 (the addon's level: napi's `napi8` feature) is in Node 12.22+, 14.17+, 15.12+ and
// every release from 16 on; the JavaScript wrapper (main.js) uses optional chaining, which
// Node 12 lacks.
const nodeEngines = '^14.17.0 || ^15.12.0 || >=16.0.0'

const [report] = JSON.parse(readFileSync(packJson, 'utf8'))
const copied = report.files
  .map((f) => f.path)
  .filter((p) => !p.endsWith('.node') && p !== 'package.json' && !releaseFiles.includes(p))
  .sort()

const manifest = JSON.parse(readFileSync(join(sourceDir, 'package.json'), 'utf8'))
delete manifest.private
delete manifest.scripts
delete manifest.devDependencies
manifest.files = [...copied, ...releaseFiles]
manifest.engines = { ...manifest.engines, node: nodeEngines }

mkdirSync(outDir, { recursive: true })
for (const path of copied) {
  mkdirSync(dirname(join(outDir, path)), { recursive: true })
  copyFileSync(join(sourceDir, path), join(outDir, path))
}
writeFileSync(join(outDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
