#!/usr/bin/env bash
# Replays the Dockerfile's stages on a machine without a container builder (Roster's CI machine
# has none): the build context (tracked files), `npm ci`, the build and the prune of stage 2, the
# runtime layout of stage 3 (files owned by root, a fresh /data owned by the service user), then
# starts the service as a non-root user, runs the image's HEALTHCHECK command until it passes,
# creates a user with the generated admin token, and stops it with SIGTERM. It fails when the
# Dockerfile no longer says what is replayed here, so the two cannot drift apart silently.
# Prints the size of the runtime tree (what stage 3 copies on top of the Node.js base image).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dockerfile="$root/Dockerfile"
work=$(mktemp -d /tmp/roster-image.XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { echo "--- $*"; }
fail() { echo "docker-replay: $*" >&2; exit 1; }

for line in \
  'COPY package.json package-lock.json prisma.config.ts ./' \
  'RUN npm ci --no-audit --no-fund' \
  'RUN npm run build && node scripts/bundle-runtime.mjs /app/runtime' \
  'COPY --from=build /app/runtime ./' \
  'RUN mkdir -p /data && chown node:node /data && chmod 0700 /data' \
  'USER node' \
  'CMD ["node", "dist/api/apps/api/src/main.js"]'; do
  grep -qxF "$line" "$dockerfile" || fail "the Dockerfile no longer contains: $line"
done
env_line=$(grep -E '^ENV ' "$dockerfile" | sed 's/^ENV //')
healthcheck=$(grep -E '^HEALTHCHECK ' "$dockerfile" | sed -E 's/.*CMD \["node", "-e", "(.*)"\]$/\1/' | sed 's/\\"/"/g')
[ -n "$healthcheck" ] || fail "no HEALTHCHECK found"

step "stages 1 and 2: the build context, npm ci, build, bundle (in $work/build)"
mkdir -p "$work/build"
# The build context: tracked files (what .dockerignore leaves of a checkout).
git -C "$root" ls-files -z | (cd "$root" && xargs -0 tar -cf -) | tar -xf - -C "$work/build"
(
  cd "$work/build"
  npm ci --no-audit --no-fund --loglevel=error
  npm run --silent build
  node scripts/bundle-runtime.mjs "$work/build/runtime"
)

step "stage 3: the runtime tree, owned by root; /data owned by the service user"
app="$work/app"
mkdir -p "$app"
cp -a "$work/build/runtime/." "$app/"
chown -R root:root "$app"
chmod -R go-w "$app"
chmod 0755 "$work"
user=nobody
data="$work/data"
mkdir -p "$data" && chown "$user" "$data" && chmod 0700 "$data"
echo "runtime tree: $(du -sm --apparent-size "$app" | cut -f1) MB (node_modules $(du -sm --apparent-size "$app/node_modules" | cut -f1) MB, dist $(du -sm --apparent-size "$app/dist" | cut -f1) MB), on top of the node base image"

step "start as $user with a fresh /data, on a free loopback port"
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
# The image's ENV, with the loopback instead of 0.0.0.0 (nothing here may listen beyond it) and our port and /data.
declare -a run_env=()
# Split as the Dockerfile's ENV does: quoted values (NODE_OPTIONS="--a --b") stay one assignment.
eval "declare -a image_env=($env_line)"
for assignment in "${image_env[@]}"; do run_env+=("$assignment"); done
run_env+=("HOST=127.0.0.1" "PORT=$port" "DATA_DIR=$data" "PATH=$PATH")
(cd "$app" && exec env -i "${run_env[@]}" setpriv --reuid="$user" --regid=nogroup --clear-groups node dist/api/apps/api/src/main.js) \
  >"$work/stdout.log" 2>"$work/stderr.log" &
pid=$!

step "HEALTHCHECK: $healthcheck"
healthy=""
for _ in $(seq 1 180); do
  if env -i "PORT=$port" "PATH=$PATH" setpriv --reuid="$user" --regid=nogroup --clear-groups node -e "$healthcheck"; then
    healthy=yes
    break
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
if [ -z "$healthy" ]; then
  cat "$work/stderr.log" "$work/stdout.log" >&2
  fail "the service never became healthy"
fi

step "the generated admin token works; the service wrote only into /data"
token=$(grep -oE 'roster_admin_[A-Za-z0-9_-]{43}' "$work/stderr.log" | head -n 1)
[ -n "$token" ] || fail "no admin token in the banner"
status=$(node -e "
fetch('http://127.0.0.1:$port/v2/Users', { method: 'POST',
  headers: { authorization: 'Bearer $token', 'content-type': 'application/scim+json' },
  body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'image@example.com' }) })
  .then((r) => console.log(r.status), () => console.log('unreachable'))")
[ "$status" = "201" ] || fail "creating a user answered $status"
[ -f "$data/PG_VERSION" ] || fail "the embedded database is not in /data"

step "the bundled service: what a bundle could break (files read by path, ESM packages, MCP, the CLI)"
# One request per surface whose code the bundle rewrote or whose files stay in node_modules.
node - "$port" "$token" <<'NODE' || fail "a surface of the bundled service failed"
const [port, token] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
const auth = { authorization: `Bearer ${token}` };
const checks = [
  ['filter by userName', '/v2/Users?filter=userName%20eq%20%22image@example.com%22', { headers: auth },
    async (r) => r.status === 200 && (await r.json()).totalResults === 1],
  ['Swagger UI page', '/docs', {}, async (r) => r.status === 200 && (await r.text()).includes('swagger-ui-bundle.js')],
  ['Swagger UI asset (swagger-ui-dist)', '/docs/swagger-ui-bundle.js', {}, async (r) => r.status === 200 && (await r.text()).length > 100000],
  ['OpenAPI document', '/docs/openapi.json', {}, async (r) => r.status === 200 && typeof (await r.json()).paths === 'object'],
  ['landing page', '/', { headers: { accept: 'text/html' } }, async (r) => r.status === 200],
  ['authorization server metadata', '/.well-known/oauth-authorization-server', {}, async (r) => r.status === 200],
  ['MCP initialize', '/v2/mcp', {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'docker-replay', version: '1' } } }),
  }, async (r) => r.status === 200 && (await r.text()).includes('"protocolVersion"')],
];
let failed = 0;
for (const [name, path, init, ok] of checks) {
  const response = await fetch(base + path, init).catch((error) => ({ status: String(error) }));
  const good = typeof response.status === 'number' && (await ok(response));
  console.log(`${good ? 'ok  ' : 'FAIL'} ${name} (${response.status})`);
  if (!good) failed++;
}
process.exit(failed ? 1 : 0);
NODE
# The bundled CLI, as `docker exec` runs it beside the service: through the service's management API.
created=$(cd "$app" && env -i "DATA_DIR=$data" "PATH=$PATH" setpriv --reuid="$user" --regid=nogroup --clear-groups \
  node dist/cli/apps/cli/src/main.js tokens create --name image-cli --scope scim.read) || fail "the bundled CLI failed"
echo "$created" | grep -qE '"token": "roster_at_' || fail "the bundled CLI printed no token: $created"
[ -z "$(find "$app" -newer "$work/build/package.json" -user "$user" -print -quit)" ] || fail "the service wrote into /app"

step "SIGTERM: graceful stop"
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
pid=""
[ "$code" = "0" ] || { cat "$work/stdout.log" | tail -n 5 >&2; fail "the service exited with $code"; }
grep -q '"msg":"Roster stopped."' "$work/stdout.log" || fail "no shutdown line"
echo "docker-replay: ok (image stages replayed; service ran as $user with a fresh /data)"
