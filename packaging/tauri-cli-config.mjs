// Writes the configuration the Tauri CLI reads, src-tauri/tauri.conf.json, from the real one at
// the repository root (scripts/bundle.sh runs it before every bundle).
//
// Why a generated copy: the CLI wants its config beside a Cargo.toml with [package] (src-tauri)
// and resolves the config's paths from there, while tauri-build and the app read the root file
// with paths relative to the root. So the copy is the root file with every path made absolute,
// plus the deep-link scheme the packages declare (the .desktop file's MimeType on Linux,
// CFBundleURLTypes on macOS):
//   - $STRATOS_DEEP_LINK_SCHEME, else
//   - the scheme of $STRATOS_DEFAULT_OAUTH_CLIENT_ID, the hosted OAuth client a release build
//     compiles in: its host reversed (https://app.example.org/… → org.example.app), as
//     crates/stratos-core/src/oauth/client.rs derives it at run time;
//   - else none (the loopback client needs no scheme).
// The copy is ignored by git.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const config = JSON.parse(readFileSync(join(root, "tauri.conf.json"), "utf8"));
const abs = (p) => (isAbsolute(p) ? p : join(root, p));

config.build.frontendDist = abs(config.build.frontendDist);
config.bundle.icon = config.bundle.icon.map(abs);
for (const kind of ["deb", "rpm"]) {
  const linux = config.bundle.linux?.[kind];
  if (linux?.desktopTemplate) linux.desktopTemplate = abs(linux.desktopTemplate);
}

function scheme() {
  const explicit = process.env.STRATOS_DEEP_LINK_SCHEME?.trim();
  if (explicit) return explicit;
  const clientId = process.env.STRATOS_DEFAULT_OAUTH_CLIENT_ID?.trim();
  if (!clientId) return null;
  return new URL(clientId).hostname.split(".").reverse().join(".");
}

const s = scheme();
if (s === null) {
  console.error(
    "tauri-cli-config: no deep-link scheme (set STRATOS_DEFAULT_OAUTH_CLIENT_ID or " +
      "STRATOS_DEEP_LINK_SCHEME); the packages will not register one",
  );
} else if (!/^[a-z][a-z0-9+.-]*$/.test(s)) {
  console.error(`tauri-cli-config: "${s}" is not a URL scheme`);
  process.exit(1);
} else {
  config.plugins ??= {};
  config.plugins["deep-link"] = { desktop: { schemes: [s] } };
  console.error(`tauri-cli-config: the packages register the ${s}: scheme`);
}

writeFileSync(join(root, "src-tauri", "tauri.conf.json"), JSON.stringify(config, null, 2) + "\n");
