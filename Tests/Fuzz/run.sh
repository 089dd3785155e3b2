#!/usr/bin/env bash
# Fuzzes the HTTP/1.x parser with libFuzzer for SECONDS (default 60), then
# minimises Tests/Fuzz/corpus/http_parser to the inputs that cover what all of
# them cover (commit the result: the test suite replays it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-60}"
corpus="$here/corpus/http_parser"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$root/Plugins/HTTPServer/include" -o "$work/http_parser_fuzz" \
    "$here/http_parser_fuzz.c" "$root/Plugins/HTTPServer/http_parser.c" 2>/dev/null
"$work/http_parser_fuzz" -max_total_time="$seconds" -max_len=4096 "$corpus"
mkdir "$work/minimal"
"$work/http_parser_fuzz" -merge=1 "$work/minimal" "$corpus" 2>/dev/null
rm -rf "$corpus"
mv "$work/minimal" "$corpus"
echo "corpus: $(ls "$corpus" | wc -l) inputs"
