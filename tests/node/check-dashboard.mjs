// Checks Grafana dashboard JSON files against Grafana's own published
// dashboard types (the Dashboard interface that @grafana/schema exports as
// raw/dashboard/x, generated from Grafana's CUE schema), with the
// TypeScript compiler:
//
//   node tests/node/check-dashboard.mjs config/grafana/jitterd.json [MORE.json...]
//
// Each file becomes an object literal checked with `satisfies Dashboard`:
// wrong types, missing required fields, values outside a union (panel
// repeatDirection, variable types, cursor sync modes) and keys the schema
// does not know (excess property checks) are errors, reported as
// FILE:LINE:COL. Prints "FILE: ok" per good file; exit 0 when all are.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const here = path.dirname(fileURLToPath(import.meta.url));
const files = process.argv.slice(2);
if (!files.length) {
  console.error('usage: check-dashboard.mjs DASHBOARD.json...');
  process.exit(2);
}
// Inside tests/node, so that '@grafana/schema' resolves to its node_modules.
const dir = fs.mkdtempSync(path.join(here, '.check-'));
try {
  const sources = files.map((file, i) => {
    const json = fs.readFileSync(file, 'utf8');
    JSON.parse(json); // a plain error for a file that is not JSON at all
    const source = path.join(dir, `dashboard${i}.ts`);
    // The JSON starts on line 2, so line N of the file is line N of the JSON.
    fs.writeFileSync(source, "import type { Dashboard } from '@grafana/schema/dist/esm/raw/dashboard/x/Dashboard_types.gen';\n" +
      'export const dashboard = ' + json.trim() + ' satisfies Dashboard;\n');
    return source;
  });
  const program = ts.createProgram(sources, {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16,
    skipLibCheck: true, types: [],
  });
  const bad = new Set();
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const i = d.file ? sources.indexOf(d.file.fileName) : -1;
    if (i >= 0) {
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      console.error(`${files[i]}:${line}:${character + 1}: ${msg}`);
      bad.add(i);
    } else {
      console.error(`${d.file ? d.file.fileName + ': ' : ''}${msg}`);
      bad.add(-1);
    }
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(here, 'node_modules/@grafana/schema/package.json'), 'utf8'));
  files.forEach((file, i) => {
    if (!bad.has(i) && !bad.has(-1))
      console.log(`${file}: ok (@grafana/schema ${pkg.version} Dashboard, TypeScript ${ts.version})`);
  });
  process.exit(bad.size ? 1 : 0);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
