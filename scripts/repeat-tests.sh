#!/usr/bin/env bash
# Runs one test project (filtered) again and again until it fails or N runs pass; keeps the log of a failure, with FsCheck's
# seed and the property's label in it. For hunting a test that fails now and then:
#   scripts/repeat-tests.sh 200 'FullyQualifiedName~EngineParityTests' tests/Relevance.Core.Tests
set -euo pipefail
runs=${1:?usage: repeat-tests.sh RUNS FILTER [PROJECT]}
filter=${2:?usage: repeat-tests.sh RUNS FILTER [PROJECT]}
project=${3:-tests/Relevance.Core.Tests}
cd "$(dirname "$0")/.."
dotnet build "$project" -c Release >/dev/null
log=$(mktemp -t repeat-tests.XXXXXX.log)
for i in $(seq 1 "$runs"); do
  if ! dotnet test "$project" -c Release --no-build --filter "$filter" --logger "console;verbosity=normal" >"$log" 2>&1; then
    echo "run $i of $runs failed; its log: $log"
    grep -E "Falsifiable|Failed |Error Message|Label" "$log" | head -40
    exit 1
  fi
  echo "run $i of $runs passed"
done
rm -f "$log"
echo "$runs of $runs runs passed"
