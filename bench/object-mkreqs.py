#!/usr/bin/python3
"""
Pre-signs S3 requests for wrk (bench/object-replay.lua) against the yun object store, so the
server does a full SigV4 verification per request while the load generator does no crypto.

  AK=.. SK=.. bench/object-mkreqs.py ENDPOINT BUCKET COUNT SIZE OUT [WWW]
creates BUCKET, uploads COUNT objects of SIZE bytes (obj0000..), and writes
  OUT.get   presigned GET paths (one per line)
  OUT.put   presigned PUT paths (same keys)
If WWW is given, the same bytes are also written to WWW/BUCKET/objNNNN for nginx (the ceiling).
  ... ENDPOINT BUCKET list KEYS OUT   writes OUT.list: presigned ListObjectsV2 pages of 1000 keys
(start-after pagination over keys k0000000.., which bench/object-run.sh loads directly).
"""
import os
import sys

import boto3
from botocore.config import Config

ep, bucket, count = sys.argv[1], sys.argv[2], sys.argv[3]
s3 = boto3.client("s3", endpoint_url=ep, region_name="us-east-1", aws_access_key_id=os.environ["AK"],
                  aws_secret_access_key=os.environ["SK"],
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
host = ep.split("//", 1)[1]


def path_of(url):
    return url.split(host, 1)[1]


if count == "list":
    keys, out = int(sys.argv[4]), sys.argv[5]
    with open(out + ".list", "w") as f:
        for start in range(0, keys, 1000):
            params = {"Bucket": bucket, "MaxKeys": 1000}
            if start:
                params["StartAfter"] = "k%07d" % (start - 1)
            f.write(path_of(s3.generate_presigned_url("list_objects_v2", Params=params, ExpiresIn=3600)) + "\n")
    sys.exit(0)

count, size, out = int(count), int(sys.argv[4]), sys.argv[5]
www = sys.argv[6] if len(sys.argv) > 6 else None
try:
    s3.create_bucket(Bucket=bucket)
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
if www:
    os.makedirs(os.path.join(www, bucket), exist_ok=True)
body = os.urandom(size)
with open(out + ".get", "w") as g, open(out + ".put", "w") as p:
    for i in range(count):
        key = "obj%04d" % i
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        if www:
            with open(os.path.join(www, bucket, key), "wb") as f:
                f.write(body)
        g.write(path_of(s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=3600)) + "\n")
        p.write(path_of(s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=3600)) + "\n")
