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
// On Linux, scripts/bundle.sh also names the `stratos` command line to install beside the app
// ($STRATOS_CLI_BINARY) and the folder of its generated completions and gzipped man pages
// ($STRATOS_CLI_FILES); they become the packages' extra `files`, each where its tool looks.
// Signed updates: with $STRATOS_UPDATE_FEED and $STRATOS_UPDATE_PUBKEY (which the app's build
// compiles in) and the private key in $TAURI_SIGNING_PRIVATE_KEY, the CLI also makes the updater
// artifacts and signs them (bundle.createUpdaterArtifacts; docs/updates.md). The private key is
// only ever in that variable, never in a file of the repository.
// The copy is ignored by git.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
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

const cliBinary = process.env.STRATOS_CLI_BINARY?.trim();
if (cliBinary) {
  const generated = process.env.STRATOS_CLI_FILES;
  const completion = (name) => join(generated, "completions", name);
  const shared = {
    "/usr/bin/stratos": cliBinary,
    "/usr/share/bash-completion/completions/stratos": completion("stratos.bash"),
    "/usr/share/fish/vendor_completions.d/stratos.fish": completion("stratos.fish"),
  };
  for (const page of readdirSync(join(generated, "man")).filter((f) => f.endsWith(".1.gz"))) {
    shared[`/usr/share/man/man1/${page}`] = join(generated, "man", page);
  }
  // zsh looks in a Debian-only folder on Debian and Ubuntu, and in site-functions elsewhere.
  const zsh = { deb: "/usr/share/zsh/vendor-completions", rpm: "/usr/share/zsh/site-functions" };
  for (const kind of ["deb", "rpm"]) {
    config.bundle.linux[kind].files = { ...shared, [`${zsh[kind]}/_stratos`]: completion("_stratos") };
  }
  console.error(`tauri-cli-config: the packages hold ${cliBinary} as /usr/bin/stratos`);
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

const feed = process.env.STRATOS_UPDATE_FEED?.trim();
const pubkey = process.env.STRATOS_UPDATE_PUBKEY?.trim();
const signing = !!process.env.TAURI_SIGNING_PRIVATE_KEY?.trim();
if (!!feed !== !!pubkey) {
  console.error("tauri-cli-config: set both STRATOS_UPDATE_FEED and STRATOS_UPDATE_PUBKEY, or neither");
  process.exit(1);
}
if (feed && signing) {
  config.bundle.createUpdaterArtifacts = true;
  config.plugins ??= {};
  config.plugins.updater = { pubkey, endpoints: [feed] };
  console.error(`tauri-cli-config: the app checks ${feed}; the bundles get signed updater artifacts`);
} else if (feed) {
  console.error(
    "tauri-cli-config: the app checks the update feed, but TAURI_SIGNING_PRIVATE_KEY is not set: " +
      "these bundles cannot be published as updates",
  );
} else {
  console.error("tauri-cli-config: no update feed; the app never checks for updates");
}

writeFileSync(join(root, "src-tauri", "tauri.conf.json"), JSON.stringify(config, null, 2) + "\n");
