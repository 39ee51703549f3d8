#!/bin/bash
# Manual check that 5 GiB objects stream through without being buffered: a 5 GiB single PUT
# (presigned, UNSIGNED-PAYLOAD, body generated on the fly by curl from a pipe), a 5 GiB multipart
# upload from stdin by awscli, each read back and compared (MD5), and the daemon's peak RSS.
# Needs ~11 GiB free under TMPDIR. Usage: bench/object-5gib.sh   (YUN_BIN overrides build/yun)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${YUN_BIN:-build/yun}
SIZE=${SIZE:-$((5 * 1024 * 1024 * 1024))}
W=$(mktemp -d "${TMPDIR:-/tmp}/yun-5gib.XXXXXX")
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
API=$(free_port); OBJ=$(free_port)
trap 'kill $YUN_PID 2>/dev/null; wait $YUN_PID 2>/dev/null; rm -rf "$W"' EXIT
"$BIN" up --data "$W/data" --listen "127.0.0.1:$API" --object-listen "127.0.0.1:$OBJ" > "$W/yund.log" 2>&1 &
YUN_PID=$!
for _ in $(seq 100); do [ -s "$W/data/credentials.json" ] && curl -s "http://127.0.0.1:$OBJ/" >/dev/null && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=$(jq -r .SecretId "$W/data/credentials.json") AWS_SECRET_ACCESS_KEY=$(jq -r .SecretKey "$W/data/credentials.json")
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null
EP="http://127.0.0.1:$OBJ"
aws() { /usr/bin/aws --endpoint-url "$EP" "$@"; }
aws s3 mb s3://big > /dev/null
# deterministic pseudo-random stream: the same bytes can be produced twice for the checksum
gen() { { openssl enc -aes-128-ctr -pass pass:yun -nosalt -pbkdf2 < /dev/zero 2>/dev/null || true; } | head -c "$SIZE"; }
WANT=$(gen | md5sum | cut -d' ' -f1)

URL=$(aws s3 presign s3://big/single --expires-in 3600)
T0=$(date +%s.%N)
PUT_URL=$(/usr/bin/python3 -c "
import boto3,sys
from botocore.config import Config
s3=boto3.client('s3',endpoint_url='$EP',region_name='us-east-1',config=Config(signature_version='s3v4',s3={'addressing_style':'path'}))
print(s3.generate_presigned_url('put_object',Params={'Bucket':'big','Key':'single'},ExpiresIn=3600))")
# -T - streams stdin (curl never holds the body); the Content-Length header avoids chunked framing
gen | curl -sS -f -T - -H "Content-Length: $SIZE" -H "Expect:" "$PUT_URL" -o /dev/null
T1=$(date +%s.%N)
GOT=$(curl -sS -f "$URL" | md5sum | cut -d' ' -f1)
T2=$(date +%s.%N)
echo "single PUT $SIZE bytes: $(/usr/bin/python3 -c "print(f'{$SIZE/($T1-$T0)/1e6:.0f}')") MB/s; GET $(/usr/bin/python3 -c "print(f'{$SIZE/($T2-$T1)/1e6:.0f}')") MB/s; md5 $([ "$GOT" = "$WANT" ] && echo match || echo MISMATCH)"

T0=$(date +%s.%N)
gen | aws s3 cp --no-progress --expected-size "$SIZE" - s3://big/multi
T1=$(date +%s.%N)
GOT=$(aws s3 cp --no-progress s3://big/multi - | md5sum | cut -d' ' -f1)
echo "multipart (awscli from stdin): $(/usr/bin/python3 -c "print(f'{$SIZE/($T1-$T0)/1e6:.0f}')") MB/s; md5 $([ "$GOT" = "$WANT" ] && echo match || echo MISMATCH)"
echo "daemon peak RSS: $(awk '/VmHWM/ {print $2}' /proc/$YUN_PID/status) KiB"
