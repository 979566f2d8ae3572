#!/usr/bin/env bash
# Installs code-server (a real VS Code workbench served over HTTP) into .cache/code-server/ inside the
# clone, for test/e2e/code-server.test.ts. CI runs it; users never need it (it is not part of `npm ci`).
#
# A plain `npm i code-server` fails on this kind of machine: its postinstall wants root's unsafe-perm,
# compiles native modules (Debian libkrb5-dev, pkg-config, build-essential) and @vscode/ripgrep downloads
# rg from GitHub. So every step runs with --ignore-scripts and the native modules are rebuilt by name;
# rg comes from Debian's ripgrep package. Nothing is cached outside the clone (npm's cache included).
set -euo pipefail

VERSION=4.100.3
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.cache/code-server"
stamp="$dest/installed-version"

if [ "$(cat "$stamp" 2>/dev/null)" = "$VERSION" ] && [ -x "$dest/node_modules/.bin/code-server" ]; then
  echo "code-server $VERSION already installed in $dest"
  exit 0
fi

for tool in rg pkg-config c++ python3; do
  command -v "$tool" >/dev/null || { echo "install-code-server: $tool is missing (see .ci/apt-packages)" >&2; exit 1; }
done

started=$(date +%s)
export npm_config_cache="$root/.cache/npm"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# node-gyp builds against the headers of the running node when they are installed beside it, instead of
# downloading them.
node_prefix=$(dirname "$(dirname "$(command -v node)")")
if [ -f "$node_prefix/include/node/node.h" ]; then export npm_config_nodedir="$node_prefix"; fi

rm -rf "$dest"
mkdir -p "$dest"
cd "$dest"
echo '{ "private": true }' > package.json
npm install --ignore-scripts --no-save "code-server@$VERSION"

cd "$dest/node_modules/code-server/lib/vscode"
npm install --omit=dev --ignore-scripts
npm_config_yes=true npm rebuild @parcel/watcher @vscode/spdlog kerberos native-watchdog node-pty @vscode/deviceid
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
ln -sfn node_modules node_modules.asar
(cd extensions && npm install --omit=dev --ignore-scripts)

cd "$dest"
npm rebuild argon2

echo "$VERSION" > "$stamp"
echo "code-server $VERSION installed in $dest in $(($(date +%s) - started)) s"
