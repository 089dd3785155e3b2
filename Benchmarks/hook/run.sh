#!/usr/bin/env bash
# The hooking engine's cost per call (docs/performance.md): target_add called
# 10^7 times through the GOT, uninstrumented and wrapped (guard only, a
# non-sampled span, a sampled span without export, 1 % of spans sampled).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
(cd "$root" && make >/dev/null)
cc -O2 -shared -fPIC -o "$work/libtarget.so" "$here/target.c"
cc -O2 -o "$work/loop" "$here/loop.c" -L"$work" -ltarget -Wl,-rpath,"$work" -Wl,-z,relro,-z,now
mkdir -m 755 "$work/plugins.d"
cc -O2 -shared -fPIC -I"$root/Sources/COTelCore/include" -I"$root/Sources/COTelPlugin/include" \
    -o "$work/plugins.d/libhook_bench.so" "$here/wrapper.c"
printf '[distribution]\nname = hook-bench\n[otel_instrumentor]\nhook_bench = libhook_bench.so:otel_hook_bench_entry\n' > "$work/plugins.d/hook-bench.ini"
run() { "$root/.build/release/otel-instrument" --plugins_path "$work/plugins.d" --traces_exporter none "$@" -- "$work/loop"; }
echo "uninstrumented:            $("$work/loop")"
echo "wrapped, guard only:       $(OTEL_NATIVE_HOOK_BENCH_MODE=guard run)"
echo "wrapped, non-sampled span: $(OTEL_NATIVE_HOOK_BENCH_MODE=span run --traces_sampler always_off)"
echo "wrapped, sampled span:     $(OTEL_NATIVE_HOOK_BENCH_MODE=span run)"
echo "wrapped, ratio 0.01 span:   $(OTEL_NATIVE_HOOK_BENCH_MODE=span run --traces_sampler parentbased_traceidratio --traces_sampler_arg 0.01)"
