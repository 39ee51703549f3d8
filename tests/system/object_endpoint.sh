#!/bin/bash
# User journey: a single-node cloud started like `make run` (no object flags) serves the object
# store on API port + 1, names it in credentials.json, and Debian's awscli uses it with the admin
# keys: make a bucket, upload, list, download, presign + curl, clean up. Then SIGTERM exits 0.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${YUN_BIN:-build/yun}
W=$(mktemp -d /tmp/yun-objsys.XXXXXX)
PORT=$(/usr/bin/python3 -c 'import socket
while True:
    a=socket.socket(); a.bind(("127.0.0.1",0)); p=a.getsockname()[1]
    b=socket.socket()
    try: b.bind(("127.0.0.1",p+1)); break
    except OSError: pass
print(p)')
"$BIN" up --data "$W/data" --listen "127.0.0.1:$PORT" > "$W/out" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$W"' EXIT
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
EP=$(jq -r .ObjectEndpoint "$W/data/credentials.json")
[ "$EP" = "http://127.0.0.1:$((PORT + 1))" ] || { echo "ObjectEndpoint is '$EP'"; exit 1; }
grep -q "object store : $EP" "$W/out" || { echo "endpoint not printed"; cat "$W/out"; exit 1; }
export AWS_ACCESS_KEY_ID=$(jq -r .SecretId "$W/data/credentials.json") AWS_SECRET_ACCESS_KEY=$(jq -r .SecretKey "$W/data/credentials.json")
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null
aws() { /usr/bin/aws --endpoint-url "$EP" "$@"; }
head -c 3000000 /dev/urandom > "$W/file"
aws s3 mb s3://journey > /dev/null
aws s3 cp --no-progress "$W/file" s3://journey/a/file > /dev/null
aws s3 ls --recursive s3://journey | grep "3000000 a/file" >/dev/null
aws s3 cp --no-progress s3://journey/a/file "$W/back" > /dev/null
cmp "$W/file" "$W/back"
curl -sf -o "$W/presigned" "$(aws s3 presign s3://journey/a/file)"
cmp "$W/file" "$W/presigned"
aws s3 rm s3://journey/a/file > /dev/null
aws s3 rb s3://journey > /dev/null
kill -TERM $PID
wait $PID
echo "object_endpoint: ok"
