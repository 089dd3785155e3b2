#!/usr/bin/env bash
# Fuzzes the HTTP/1.x parser with libFuzzer for SECONDS (default 60), adding
# the inputs that reach new code to Tests/Fuzz/corpus/http_parser (commit them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-60}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$root/Plugins/HTTPServer/include" -o "$work/http_parser_fuzz" \
    "$here/http_parser_fuzz.c" "$root/Plugins/HTTPServer/http_parser.c"
"$work/http_parser_fuzz" -max_total_time="$seconds" -max_len=4096 "$here/corpus/http_parser"
