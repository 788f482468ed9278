// Adds the license texts to a per-platform package made by `napi create-npm-dirs`, whose
// `files` list names only the addon: node platform.mjs PACKAGE_JSON
import { readFileSync, writeFileSync } from 'node:fs'

const [path] = process.argv.slice(2)
if (!path) throw new Error('usage: platform.mjs PACKAGE_JSON')
const manifest = JSON.parse(readFileSync(path, 'utf8'))
const licenses = ['LICENSE', 'LICENSE-MIT', 'LICENSE-APACHE']
manifest.files = [...manifest.files.filter((f) => !licenses.includes(f)), ...licenses]
writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`)
