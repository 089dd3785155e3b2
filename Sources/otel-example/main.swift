// A small program that emits a trace through the core SDK, configured from
// OTEL_* variables like any instrumented process. Until otel-instrument
// exists this is the README's "main job":
//
//   OTEL_TRACES_EXPORTER=console swift run otel-example
import COTelCore
import OTelCore
#if canImport(Glibc)
import Glibc
#endif

OTelSDK.initialize()
guard let tracer = OTelSDK.tracer(name: "otel-example", version: otelNativeVersion) else {
    // OTEL_SDK_DISABLED=true: nothing to show, and nothing to break.
    exit(0)
}

let job = tracer.startSpan("nightly-report", attributes: [Attribute("job.items", 3)])
let scope = job.makeCurrent()

for item in ["alpha", "beta", "gamma"] {
    let query = tracer.startSpan("SELECT items", kind: .client, attributes: [
        Attribute("db.system.name", "sqlite"),
        Attribute("db.query.text", "SELECT * FROM items WHERE name = ?"),
        Attribute("db.collection.name", "items"),
    ])
    query.addEvent("row", attributes: [Attribute("item.name", .string(item))])
    if item == "gamma" {
        query.setStatus(SpanStatus(code: .error, description: "no such row"))
        query.setAttribute("error.type", "SQLITE_NOTFOUND")
    }
    query.end()
}

// The C API, as plugins will use it: a child span made current, and its
// context injected into a carrier.
var child = otel_span()
otel_span_start(nil, "render", OTEL_SPAN_KIND_INTERNAL, nil, &child)
otel_span_set_int(&child, "render.pages", 12)
let token = otel_span_make_current(&child)
var headers = DictionaryCarrier()
OTelSDK.state.propagator.inject(Context.current, into: &headers)
otel_span_set_string(&child, "propagated.traceparent", headers.get("traceparent") ?? "")
otel_context_restore(token)
otel_span_end(&child)

scope.restore()
job.end()
