#!/usr/bin/env bash
# The operator CLI from a production install: copies the tree as a clone would have it (tracked files,
# plus untracked files that are not ignored, so it also works before a commit) to a temporary
# directory, runs `npm ci --omit=dev` there and then `npx signup-sync`. Anything the CLI loads from a
# devDependency fails here. The CLI ships as TypeScript run by tsx, which is a dependency (ops/bin.cjs).
#
# Usage: bash test/ops/production-install.sh   (needs the npm registry; about a minute)
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/signup-sync-prod-XXXXXX")"
# KEEP_WORK=1 keeps the directory for a look after a failure.
if [ -n "${KEEP_WORK:-}" ]; then echo "production-install: work directory $work"; else trap 'rm -rf "$work"' EXIT; fi

fail() {
  echo "production-install: FAIL: $1" >&2
  if [ -n "${2:-}" ]; then printf '%s\n' "$2" | tail -n 30 | sed 's/^/  | /' >&2; fi
  exit 1
}

# Files deleted in the working tree but still in the index are left out, as a commit would leave them.
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done |
  tar --null -T - -cf -) | tar -xf - -C "$work" || fail "could not copy the tree"
[ -d "$work/node_modules" ] && fail "node_modules was copied (is it ignored?)"

cd "$work" || fail "no work directory"
install_log="$(npm ci --omit=dev --no-audit --no-fund 2>&1)" || fail "npm ci --omit=dev failed" "$install_log"
for dev in jest aws-cdk-lib typescript local-aws-sqs aws-sdk-client-mock playwright-core; do
  [ -e "node_modules/$dev" ] && fail "devDependency $dev was installed by --omit=dev"
done

# `npx signup-sync` finds the project's own bin; `--no --` only forbids fetching a package of that name.
help="$(npx --no -- signup-sync --help 2>&1)"
status=$?
[ "$status" -eq 0 ] || fail "npx signup-sync --help exited $status" "$help"
for expected in 'Usage: signup-sync <command> [flags]' 'dlq redrive' 'import <file.csv>' 'send-test' 'Exit status: 0 done'; do
  grep -qF -- "$expected" <<<"$help" || fail "the usage text lacks \"$expected\"" "$help"
done

# A command that parses a CSV (csv-parse, the signup schema) and one that looks for local mode (nothing
# listens on port 9): both run without any devDependency.
printf 'Email,First name,Last name\r\nada@example.com,Ada,Lovelace\r\n' >"$work/one.csv"
import_out="$(npx --no -- signup-sync import "$work/one.csv" --dry-run 2>&1)"
status=$?
[ "$status" -eq 0 ] || fail "signup-sync import --dry-run exited $status" "$import_out"
grep -qF 'accepted: 1' <<<"$import_out" || fail "signup-sync import --dry-run did not accept the row" "$import_out"
send_out="$(npx --no -- signup-sync send-test --local http://127.0.0.1:9 2>&1)"
status=$?
[ "$status" -eq 1 ] && grep -qF 'Local mode is not running at http://127.0.0.1:9' <<<"$send_out" ||
  fail "signup-sync send-test --local (nothing running) should exit 1 saying so; exited $status" "$send_out"

echo "production-install: PASS: npm ci --omit=dev, then npx signup-sync --help / import --dry-run / send-test --local work"
