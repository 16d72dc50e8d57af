#!/usr/bin/env bash
# The package as a strict consumer sees it. Builds and packs the package, installs the tarball into a
# fresh "type": "module" project, type-checks a consumer program (test/consumer/program.ts) and the
# installer example shipped in the package with --strict --skipLibCheck false under NodeNext and under
# bundler resolution, then runs the program: it imports every entry point and completes the multi-site
# example campaign on the simulator (start -> paused at the approval gate -> approve -> completed).
#
# publint and attw check the package's shape; only this catches published declarations that do not
# compile (e.g. a public .d.ts naming a type that stripInternal removed).
#
# Offline by default: the tarball's dependencies come from the npm cache that `npm ci` filled (--offline).
# Only when the cache lacks one does it ask the registry (--prefer-offline). TypeScript and @types/node are
# linked from this repository's node_modules (the versions the package is developed with).
#
# Usage: bash scripts/consumer-test.sh [--no-build] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
build=1 keep=0
for arg in "$@"; do
  case "$arg" in
  --no-build) build=0 ;;
  --keep) keep=1 ;;
  *) echo "usage: $0 [--no-build] [--keep]" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/escalator-consumer.XXXXXX")
cleanup() { if [ "$keep" = 1 ]; then echo "consumer-test: kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

step() { printf '\nconsumer-test: %s\n' "$*"; }

if [ "$build" = 1 ]; then
  step "npm run build"
  npm run --silent build
fi

step "npm pack"
npm pack --ignore-scripts --silent --pack-destination "$work" >/dev/null
tarball=$(ls "$work"/escalator-*.tgz)
echo "$(basename "$tarball"): $(tar -tzf "$tarball" | wc -l) files"

project="$work/project"
mkdir -p "$project"
cat >"$project/package.json" <<'EOF'
{ "name": "escalator-consumer", "private": true, "type": "module" }
EOF

step "npm install $(basename "$tarball") --offline"
install=(npm install --no-audit --no-fund --no-package-lock --loglevel=error "$tarball")
if ! (cd "$project" && "${install[@]}" --offline >/dev/null); then
  echo "consumer-test: the npm cache lacks a dependency; installing with the registry (--prefer-offline)"
  (cd "$project" && "${install[@]}" --prefer-offline >/dev/null)
fi
mkdir -p "$project/node_modules/@types"
ln -s "$repo/node_modules/typescript" "$project/node_modules/typescript"
ln -s "$repo/node_modules/@types/node" "$project/node_modules/@types/node"

cp "$repo/test/consumer/program.ts" "$project/program.ts"
# The installer example, as shipped: it must compile against the package it ships in.
cp "$project/node_modules/escalator/examples/installer/embed.ts" "$project/embed.ts"

tsc="$project/node_modules/typescript/bin/tsc"
common=(--strict --skipLibCheck false --target es2023 --lib es2023 --types node
  --verbatimModuleSyntax --noUncheckedIndexedAccess --exactOptionalPropertyTypes)

cd "$project"
step "tsc --module nodenext --moduleResolution nodenext"
node "$tsc" "${common[@]}" --module nodenext --moduleResolution nodenext --noEmit program.ts embed.ts
step "tsc --module esnext --moduleResolution bundler"
node "$tsc" "${common[@]}" --module esnext --moduleResolution bundler --noEmit program.ts embed.ts

step "node program.js (the multi-site campaign on the simulator)"
node "$tsc" "${common[@]}" --module nodenext --moduleResolution nodenext --outDir out program.ts
node out/program.js

step "ok"
