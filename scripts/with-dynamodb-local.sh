#!/usr/bin/env bash
# Runs a command with DYNAMODB_ENDPOINT pointing at AWS's own DynamoDB Local (Java), started in
# memory on a free loopback port and stopped afterwards. DynamoDB Local ships inside the npm
# package amplify-dynamodb-simulator; it is fetched with `npm pack` and extracted, never
# installed as a dependency (it would drag an old aws-cdk-lib into the tree).
#   usage: scripts/with-dynamodb-local.sh <command...>
#          scripts/with-dynamodb-local.sh --fetch-only   (only fetch it; prints the folder of DynamoDBLocal.jar)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.ci/cache/dynamodb-local"
version=2.9.30

if ! command -v java >/dev/null 2>&1; then
  echo "java not found: installing a headless JRE from Debian's packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
fi

if [ ! -f "$cache/emulator/DynamoDBLocal.jar" ]; then
  mkdir -p "$cache"
  (cd "$cache" && npm pack --silent "amplify-dynamodb-simulator@$version" >/dev/null \
    && tar xzf "amplify-dynamodb-simulator-$version.tgz" --strip-components=1 package/emulator \
    && rm -f "amplify-dynamodb-simulator-$version.tgz")
fi

if [ "${1:-}" = "--fetch-only" ]; then
  echo "$cache/emulator"
  exit 0
fi

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
log="$cache/dynamodb-local.log"
(cd "$cache/emulator" && exec java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
  -inMemory -port "$port" -disableTelemetry >"$log" 2>&1) &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT

# Ready when it answers HTTP at all (it answers a bare GET with 400).
for _ in $(seq 1 150); do
  if node -e 'fetch(process.argv[1]).then(()=>process.exit(0),()=>process.exit(1))' "http://127.0.0.1:$port" 2>/dev/null; then
    ready=1; break
  fi
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "DynamoDB Local exited"; exit 1; }
  sleep 0.2
done
[ "${ready:-}" = 1 ] || { cat "$log"; echo "DynamoDB Local did not start"; exit 1; }
echo "DynamoDB Local on http://127.0.0.1:$port"
DYNAMODB_ENDPOINT="http://127.0.0.1:$port" "$@"
