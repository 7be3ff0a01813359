#!/usr/bin/env bash
# Build the VS Code extension package: dffix-<version>.vsix in this folder (or in $1).
set -euo pipefail
cd "$(dirname "$0")"
out="${1:-.}"
version="$(node -p "require('./package.json').version")"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
npx --no-install vsce package --out "$out/dffix-$version.vsix"
