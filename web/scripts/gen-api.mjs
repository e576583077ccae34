// Writes src/api.gen.ts, the REST API's TypeScript types, from openapi.json (the server's
// OpenAPI document: `boxoffice --print-openapi > web/openapi.json`, see DEVELOPERS.md).
//
//   node scripts/gen-api.mjs          # (re)write src/api.gen.ts   (npm run api:gen; the build runs it)
//   node scripts/gen-api.mjs --check  # fail if src/api.gen.ts is not what openapi.json gives
//                                     # (npm run api:check; scripts/test.sh runs it)

import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const source = path.join(web, "openapi.json");
const target = path.join(web, "src", "api.gen.ts");

const header =
  "// Generated from web/openapi.json by web/scripts/gen-api.mjs (openapi-typescript).\n" +
  "// Do not edit: change the server's types or handlers, then regenerate (DEVELOPERS.md).\n\n";

const doc = JSON.parse(readFileSync(source, "utf8"));
const generated = header + astToString(await openapiTS(doc));

if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {
    /* missing: stale */
  }
  if (current !== generated) {
    console.error(
      "web/src/api.gen.ts is not what web/openapi.json gives: run `npm run api:gen` in web/ and commit it",
    );
    process.exit(1);
  }
  console.log("web/src/api.gen.ts is current");
} else {
  writeFileSync(target, generated);
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}
