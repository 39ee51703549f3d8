#!/bin/bash
# The object gateway's shape (issue 10; src/object/object_int.h): only meta.c, meta_upload.c,
# meta_version.c and engine.c run SQL or hold store statements (auth.c passes the thread's store to identity, the
# listener to the engine at start); only backend_file.c touches the files of object data (the rest
# goes through the backend table, src/object/backend.h; the gateway may map or sendfile a descriptor
# the backend handed out); the route table is the whole truth, so no code compares handlers to
# decide behaviour; no file of src/object is over 650 lines. No yund runs.
set -uo pipefail
cd "$(dirname "$0")/../.."
status=0
pattern='\bstore_(query|exec|step|begin|commit|rollback|text|int|done|is_null|errmsg)\b|\bstruct store_stmt\b'
bad=$(grep -nE "$pattern" src/object/*.c | grep -vE '^src/object/(meta|meta_[a-z]+|engine)\.c:')
if [ -n "$bad" ]; then
    echo "FAIL: the store is touched outside meta*.c/engine.c:"
    echo "$bad"
    status=1
fi
grep -qE "$pattern" src/object/meta.c || { echo "FAIL: the pattern no longer matches meta.c"; status=1; }
files='(^|[^>._[:alnum:]])(open|openat|creat|rename|renameat2?|unlink|unlinkat|fsync|fdatasync|pread|pwrite|copy_file_range|fstat|fstatat|opendir|fdopendir|mkdir)\(|"objects"|/objects'
bad=$(grep -nE "$files" src/object/*.c | grep -vE '^src/object/backend_file\.c:')
if [ -n "$bad" ]; then
    echo "FAIL: object data files touched outside backend_file.c (use the backend table, backend.h):"
    echo "$bad"
    status=1
fi
grep -qE "$files" src/object/backend_file.c || { echo "FAIL: the file pattern no longer matches backend_file.c"; status=1; }
bad=$(grep -nE 'op->(run|begin) *[!=]=' src/object/*.c)
if [ -n "$bad" ]; then
    echo "FAIL: behaviour picked by comparing handlers instead of a column of the route table:"
    echo "$bad"
    status=1
fi
for f in src/object/*.c src/object/*.h; do
    n=$(wc -l < "$f")
    if [ "$n" -gt 650 ]; then
        echo "FAIL: $f has $n lines (split it behind object_int.h)"
        status=1
    fi
done
[ $status -ne 0 ] || echo "ok: only meta/engine touch the store, only backend_file the data files, the route table decides, no file over 650 lines"
exit $status
