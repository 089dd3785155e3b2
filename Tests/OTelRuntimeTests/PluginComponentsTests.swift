import Foundation
@testable import OTelCore
@testable import OTelRuntime
import OTelTestSupport
import XCTest

/// Propagators, samplers and resource detectors from a C plugin, resolved by
/// the names users give in OTEL_* settings.
final class PluginComponentsTests: XCTestCase {
    static let source = """
        #include <otel_plugin.h>
        #include <stdio.h>
        #include <string.h>
        OTEL_PLUGIN_DECLARE_ABI();
        static const otel_host_api *the_host;

        /* A propagator carrying the trace id in x-custom-trace. */
        static void inject(void *state, const otel_context *context, const otel_carrier *carrier) {
            (void)state;
            otel_span span;
            otel_context_token token = the_host->context_attach(context);
            the_host->span_start(NULL, "probe", OTEL_SPAN_KIND_INTERNAL, NULL, &span);
            char value[64];
            snprintf(value, sizeof value, "%016llx%016llx", (unsigned long long)span.trace_id_high, (unsigned long long)span.trace_id_low);
            the_host->span_end(&span);
            the_host->context_restore(token);
            carrier->set(carrier->user, "x-custom-trace", value);
        }
        static otel_context *extract(void *state, const otel_context *base, const otel_carrier *carrier) {
            (void)state;
            /* Extraction is not what this test checks: keep the base context. */
            return carrier->get(carrier->user, "x-custom-trace") ? the_host->context_with_span(base, NULL) : NULL;
        }
        /* A sampler dropping spans whose name starts with "skip". */
        static int should_sample(void *state, const otel_span *parent, uint64_t high, uint64_t low, const char *name, otel_span_kind kind) {
            (void)state; (void)parent; (void)high; (void)low; (void)kind;
            return strncmp(name, "skip", 4) == 0 ? 0 : 2;
        }
        /* A resource detector. */
        static int detect(void *state, void *context, void (*add)(void *, const char *, const char *)) {
            (void)state;
            add(context, "plugin.detected", "yes");
            return 0;
        }
        /* An id generator counting up. */
        static uint64_t next = 0;
        static void trace_id(void *state, uint64_t *high, uint64_t *low) { (void)state; *high = 0xabc; *low = ++next; }
        static uint64_t span_id(void *state) { (void)state; return 0x1000 + ++next; }
        const otel_plugin_descriptor *otel_components_entry(const otel_host_api *host) {
            the_host = host;
            static otel_plugin_descriptor d = {OTEL_PLUGIN_DESCRIPTOR_HEADER, .name = "components",
                .inject = inject, .extract = extract, .should_sample = should_sample, .detect = detect,
                .generate_trace_id = trace_id, .generate_span_id = span_id};
            return &d;
        }
        """

    static let manifest = """
        [distribution]
        name = components
        [otel_propagator]
        custom = libcomponents.so:otel_components_entry
        [otel_traces_sampler]
        skipper = libcomponents.so:otel_components_entry
        [otel_resource_detector]
        detector = libcomponents.so:otel_components_entry
        [otel_traces_exporter]
        fancy = libcomponents.so:otel_components_entry
        [otel_id_generator]
        counter = libcomponents.so:otel_components_entry
        """

    func makePlugins() throws -> URL {
        let directory = try makeScratchDirectory("otel-components")
        let source = directory.appendingPathComponent("components.c")
        try Self.source.write(to: source, atomically: false, encoding: .utf8)
        let built = try runCommand("/usr/bin/env", ["cc", "-shared", "-fPIC", "-I", try PluginLoaderTests.installedHeaders().path,
                                                   "-o", directory.appendingPathComponent("libcomponents.so").path, source.path])
        XCTAssertEqual(built.status, 0, built.output)
        try Self.manifest.write(to: directory.appendingPathComponent("components.ini"), atomically: false, encoding: .utf8)
        return directory
    }

    func testComponentsAreResolvedByName() throws {
        let plugins = try makePlugins()
        defer { try? FileManager.default.removeItem(at: plugins) }
        let captured = LockedLines()
        let diagnostics = Diagnostics(level: .debug) { captured.append($0) }
        let catalog = PluginCatalog.scan(directories: [plugins.path], diagnostics: diagnostics, secureExecution: false)
        let registry = PluginRuntime.components(of: catalog, load: { entry in
            guard let path = PluginSearchPath.resolveLibrary(entry.library, manifestPath: entry.location.file, libraryDirectory: nil,
                                                             fileSystem: .live) else { return nil }
            return try? PluginLoader.load(entry, libraryPath: path).get()
        }, diagnostics: diagnostics)
        XCTAssertEqual(Set(registry.tracesExporters.keys), ["fancy"])

        let environment = Environment(["OTEL_TRACES_SAMPLER": "skipper", "OTEL_PROPAGATORS": "custom,tracecontext",
                                       "OTEL_EXPERIMENTAL_RESOURCE_DETECTORS": "detector", "OTEL_TRACES_EXPORTER": "fancy,console",
                                       "OTEL_NATIVE_ID_GENERATOR": "counter"])
        let configuration = SDKConfiguration(config: ConfigReader(environment: environment, diagnostics: diagnostics), registry: registry)
        _ = configuration.makeProcessors(diagnostics: diagnostics)
        XCTAssertEqual(configuration.resource.attributes["plugin.detected"], .string("yes"))
        XCTAssertEqual(configuration.sampler.description, "components")
        XCTAssertTrue(captured.lines.contains { $0.contains("[otel_traces_exporter] fancy") && $0.contains("no exporter_export function") },
                      "\(captured.lines)")

        let exporter = CollectingSpans()
        let provider = TracerProvider(resource: configuration.resource, sampler: configuration.sampler,
                                      idGenerator: configuration.idGenerator, processors: [SimpleSpanProcessor(exporter: exporter)], diagnostics: diagnostics)
        OTelSDK.install(SDKState(diagnostics: diagnostics, tracerProvider: provider, propagator: configuration.propagator))
        let tracer = provider.tracer(name: "t")
        tracer.startSpan("skip this one", parent: .root).end()
        let kept = tracer.startSpan("keep this one", parent: .root)
        kept.end()
        XCTAssertEqual(exporter.names, ["keep this one"], "the plugin sampler decided")
        XCTAssertEqual(kept.context.traceId.high, 0xabc, "the plugin generated the ids")
        XCTAssertGreaterThan(kept.context.spanId.value, 0x1000)
        XCTAssertFalse(kept.context.traceFlags.contains(.random), "a plugin's ids are not known to be random")

        var carrier = DictionaryCarrier()
        configuration.propagator.inject(Context(span: kept), into: &carrier)
        XCTAssertEqual(carrier.values["x-custom-trace"], kept.context.traceId.hexString, "the plugin propagator injected")
        XCTAssertNotNil(carrier.values["traceparent"], "the built-in one still runs after it")
    }
}
