@testable import OTelCore
import XCTest

/// Every OTEL_* variable the core reads, given an invalid value, yields one
/// warning naming it and the default, never a crash (configuration/
/// sdk-environment-variables.md).
final class ConfigurationTests: XCTestCase {
    /// Each variable with a value that is invalid for its type.
    static let invalidValues: [String: String] = [
        "OTEL_SDK_DISABLED": "yes",
        "OTEL_LOG_LEVEL": "loud",
        "OTEL_RESOURCE_ATTRIBUTES": "a=%zz",
        "OTEL_TRACES_SAMPLER": "sometimes",
        "OTEL_TRACES_SAMPLER_ARG": "1.5",
        "OTEL_BSP_SCHEDULE_DELAY": "soon",
        "OTEL_BSP_EXPORT_TIMEOUT": "-1",
        "OTEL_BSP_MAX_QUEUE_SIZE": "0",
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "many",
        "OTEL_ATTRIBUTE_COUNT_LIMIT": "ten",
        "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "-5",
        "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT": "1e3",
        "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT": "x",
        "OTEL_SPAN_EVENT_COUNT_LIMIT": "",  // empty is unset, not invalid: no warning expected
        "OTEL_SPAN_LINK_COUNT_LIMIT": "3.5",
        "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT": "-",
        "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT": "0x10",
        "OTEL_PROPAGATORS": "carrier-pigeon",
        "OTEL_TRACES_EXPORTER": "fax",
        "OTEL_NATIVE_CONSOLE_OUTPUT": "printer",
        "OTEL_NATIVE_SHUTDOWN_TIMEOUT": "forever",
    ]

    func testEachInvalidValueWarnsOnceAndKeepsTheDefault() {
        let defaults = SDKConfiguration(config: ConfigReader(environment: Environment([:]), diagnostics: Diagnostics(level: .none)))
        for (name, value) in Self.invalidValues {
            let captured = CapturedDiagnostics()
            let diagnostics = name == "OTEL_LOG_LEVEL"
                ? Diagnostics(environment: Environment([name: value])) { line in captured.record(line) }
                : captured.make()
            // The ratio is read only by ratio samplers (OTEL_TRACES_SAMPLER_ARG's own rule).
            var values = [name: value]
            if name == "OTEL_TRACES_SAMPLER_ARG" { values["OTEL_TRACES_SAMPLER"] = "traceidratio" }
            let configuration = SDKConfiguration(config: ConfigReader(environment: Environment(values), diagnostics: diagnostics))
            _ = configuration.makeProcessors(diagnostics: diagnostics)
            let warnings = captured.lines.filter { $0.contains(name) }
            if value.isEmpty {
                XCTAssertTrue(warnings.isEmpty, "\(name) empty must be treated as unset: \(captured.lines)")
            } else {
                XCTAssertEqual(warnings.count, 1, "\(name)=\(value): \(captured.lines)")
            }
            XCTAssertTrue(warnings.allSatisfy { $0.hasPrefix("otel-native: ") }, "\(warnings)")
            XCTAssertEqual(configuration.disabled, defaults.disabled, name)
            XCTAssertEqual(configuration.sampler.description,
                           name == "OTEL_TRACES_SAMPLER_ARG" ? "TraceIdRatioBased{1.0}" : defaults.sampler.description, name)
            XCTAssertEqual(configuration.limits, defaults.limits, name)
            XCTAssertEqual(configuration.batch, defaults.batch, name)
            XCTAssertEqual(configuration.consoleDestination, defaults.consoleDestination, name)
            XCTAssertEqual(configuration.shutdownTimeoutNanoseconds, defaults.shutdownTimeoutNanoseconds, name)
            XCTAssertEqual(configuration.resource.attributes.entries.filter { $0.key != "process.pid" },
                           defaults.resource.attributes.entries.filter { $0.key != "process.pid" }, name)
        }
    }

    func testBooleansAreTrueOnlyForTrue() {
        func disabled(_ value: String) -> Bool {
            ConfigReader(environment: Environment(["OTEL_SDK_DISABLED": value]), diagnostics: Diagnostics(level: .none)).bool("OTEL_SDK_DISABLED")
        }
        XCTAssertTrue(disabled("true"))
        XCTAssertTrue(disabled("TRUE"))
        XCTAssertTrue(disabled(" True "))
        XCTAssertFalse(disabled("1"))
        XCTAssertFalse(disabled("false"))
        XCTAssertFalse(disabled(""))
    }

    func testDiagnosticsPrintEachMessageOnceAndHonourTheLevel() {
        let captured = CapturedDiagnostics()
        let diagnostics = Diagnostics(environment: Environment(["OTEL_LOG_LEVEL": "warn"])) { captured.record($0) }
        diagnostics.warn("collector down")
        diagnostics.warn("collector down")
        diagnostics.info("too chatty")
        diagnostics.error("broken")
        XCTAssertEqual(captured.lines, ["otel-native: warning: collector down\n", "otel-native: error: broken\n"])
        let silent = CapturedDiagnostics()
        let none = Diagnostics(environment: Environment(["OTEL_LOG_LEVEL": "none"])) { silent.record($0) }
        none.error("hidden")
        XCTAssertTrue(silent.lines.isEmpty)
    }

    func testResourceFromEnvironment() {
        let environment = Environment([
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs, deployment.environment = prod%20eu ,team=a%2Cb%3Dc",
            "OTEL_SERVICE_NAME": "checkout",
        ])
        let resource = ResourceDetection.detect(config: ConfigReader(environment: environment, diagnostics: Diagnostics(level: .none)))
        XCTAssertEqual(resource.attributes["service.name"], .string("checkout"), "OTEL_SERVICE_NAME wins")
        XCTAssertEqual(resource.attributes["deployment.environment"], .string("prod eu"))
        XCTAssertEqual(resource.attributes["team"], .string("a,b=c"))
        XCTAssertEqual(resource.attributes["telemetry.sdk.language"], .string("swift"))
        XCTAssertNotNil(resource.attributes["process.pid"])
        XCTAssertNotNil(resource.attributes["host.name"])
        XCTAssertEqual(resource.attributes["os.type"], .string("linux"))
        let fromAttributes = ResourceDetection.detect(config: ConfigReader(
            environment: Environment(["OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs"]), diagnostics: Diagnostics(level: .none)))
        XCTAssertEqual(fromAttributes.attributes["service.name"], .string("from-attrs"))
        let unknown = ResourceDetection.detect(config: ConfigReader(environment: Environment([:]), diagnostics: Diagnostics(level: .none)))
        guard case .string(let name)? = unknown.attributes["service.name"] else { return XCTFail("no service.name") }
        XCTAssertTrue(name.hasPrefix("unknown_service:"), name)
    }

    func testMalformedResourceAttributesAreDiscardedWhole() {
        for raw in ["a=1,b", "a=1,=2", "a=%G1", "a=%e9"] {
            XCTAssertNil(ResourceDetection.parseResourceAttributes(raw), raw)
        }
        XCTAssertEqual(ResourceDetection.parseResourceAttributes("a=1,,b=%C3%A9")?.map(\.value), [.string("1"), .string("é")])
    }
}
