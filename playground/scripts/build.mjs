// Builds the playground page into playground/dist/: the wasm-bindgen output (playground/pkg/,
// made by `make playground`), the page's script bundled with its npm dependencies (esbuild,
// minified), the HTML and CSS. The presets are read from examples/ at build time, so the page
// always offers the settings and manifests the repository ships (dist/presets.json, fetched by
// the page at start).
//
//   node scripts/build.mjs            (run by `make playground`)

import { build } from 'esbuild';
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const playground = join(here, '..');
const repo = join(playground, '..');
const dist = join(playground, 'dist');
const pkg = join(playground, 'pkg');

async function exists(path) {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The first comment line of a manifest (its title), without the `#`. */
function title(text) {
  const line = text.split('\n').find((l) => l.startsWith('#'));
  return line ? line.replace(/^#\s*(VIOLATION:\s*)?/, '').trim() : '';
}

async function yamlFiles(dir) {
  return (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
}

/** Settings and manifests from examples/, as the page's presets. */
export async function presets() {
  const settingsDir = join(repo, 'examples/settings');
  const settings = [
    ['standard', 'The standard (empty settings)', 'standard.yml'],
    ['matih', 'MATIH services (standard + 8 exceptions)', 'matih.yml'],
    ['pss-baseline', 'Pod Security Standard baseline', 'pss-baseline.yml'],
    ['pss-restricted', 'Pod Security Standard restricted', 'pss-restricted.yml'],
  ];
  const out = { settings: [], manifests: [] };
  for (const [id, label, file] of settings) {
    out.settings.push({ id, label, file: `examples/settings/${file}`, text: await readFile(join(settingsDir, file), 'utf8') });
  }
  const manifestsDir = join(repo, 'examples/manifests');
  for (const [group, dir] of [
    ['MATIH services (compliant)', manifestsDir],
    ['Violating examples', join(manifestsDir, 'violating')],
  ]) {
    for (const file of await yamlFiles(dir)) {
      const text = await readFile(join(dir, file), 'utf8');
      const rel = dir === manifestsDir ? file : `violating/${file}`;
      out.manifests.push({
        id: rel.replace(/\.ya?ml$/, ''),
        group,
        label: basename(file).replace(/\.ya?ml$/, ''),
        title: title(text),
        file: `examples/manifests/${rel}`,
        text,
      });
    }
  }
  return out;
}

async function main() {
  const glue = join(pkg, 'playground.js');
  const wasm = join(pkg, 'playground_bg.wasm');
  if (!(await exists(glue)) || !(await exists(wasm))) {
    console.error(`missing ${glue} or ${wasm}: run \`make playground\` (it builds the wasm first)`);
    process.exit(2);
  }
  await rm(dist, { recursive: true, force: true });
  await mkdir(dist, { recursive: true });
  await build({
    entryPoints: [join(playground, 'web/main.js')],
    bundle: true,
    format: 'esm',
    minify: true,
    target: ['chrome110', 'firefox110', 'safari16'],
    outfile: join(dist, 'app.js'),
    legalComments: 'none',
    logLevel: 'warning',
  });
  await build({
    entryPoints: [join(playground, 'web/style.css')],
    bundle: true,
    minify: true,
    outfile: join(dist, 'style.css'),
    logLevel: 'warning',
  });
  await copyFile(wasm, join(dist, 'playground.wasm'));
  await writeFile(join(dist, 'presets.json'), JSON.stringify(await presets()));
  await copyFile(join(playground, 'web/index.html'), join(dist, 'index.html'));
  // Sizes as served (bytes) and gzip-compressed (level 9), for the README and the benchmarks.
  const files = {};
  const total = { bytes: 0, gzip: 0 };
  for (const f of (await readdir(dist)).sort()) {
    const body = await readFile(join(dist, f));
    const entry = { bytes: body.length, gzip: gzipSync(body, { level: 9 }).length };
    files[f] = entry;
    total.bytes += entry.bytes;
    total.gzip += entry.gzip;
  }
  await writeFile(join(dist, 'sizes.json'), JSON.stringify({ files, total }, null, 2) + '\n');
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`.padStart(10);
  console.log(`  ${'file'.padEnd(18)} ${'size'.padStart(10)} ${'gzip -9'.padStart(10)}`);
  for (const [f, e] of Object.entries(files)) console.log(`  ${f.padEnd(18)} ${kb(e.bytes)} ${kb(e.gzip)}`);
  console.log(`  ${'total'.padEnd(18)} ${kb(total.bytes)} ${kb(total.gzip)}  -> ${dist}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
