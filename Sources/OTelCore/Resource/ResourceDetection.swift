#if canImport(Glibc)
import Glibc
#endif

/// The SDK's version, reported as telemetry.sdk.version.
public let otelNativeVersion = "0.1.0"

/// Builds the default resource (resource/sdk.md, "Detecting resource
/// information from the environment"; semantic conventions for service,
/// telemetry, process, host and os).
public enum ResourceDetection {
    /// telemetry.sdk.*, then process/host/os facts, then OTEL_RESOURCE_ATTRIBUTES,
    /// then service.name from OTEL_SERVICE_NAME or `unknown_service:<executable>`.
    ///
    /// Plugin resource detectors named in OTEL_EXPERIMENTAL_RESOURCE_DETECTORS
    /// (as OpenTelemetry Python names its detector entry points) run after the
    /// built-in facts; OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME still win.
    public static func detect(config: ConfigReader, registry: ComponentRegistry = .empty) -> Resource {
        var attributes: [Attribute] = [
            Attribute("telemetry.sdk.language", "swift"),
            Attribute("telemetry.sdk.name", "otel-native"),
            Attribute("telemetry.sdk.version", .string(otelNativeVersion)),
        ]
        attributes += processAndHost()
        var resource = Resource(attributes: attributes)
        for name in config.list("OTEL_EXPERIMENTAL_RESOURCE_DETECTORS") ?? [] {
            guard let detector = registry.resourceDetectors[name] else {
                config.diagnostics.warn("OTEL_EXPERIMENTAL_RESOURCE_DETECTORS: no resource detector named \(name); skipping it")
                continue
            }
            if let detected = detector() { resource = resource.merging(Resource(attributes: detected)) }
        }
        if let raw = config.string("OTEL_RESOURCE_ATTRIBUTES") {
            if let parsed = parseResourceAttributes(raw) {
                resource = resource.merging(Resource(attributes: parsed))
            } else {
                // configuration/sdk-environment-variables.md: on a decoding
                // error the whole value is discarded and the error reported.
                config.diagnostics.error("OTEL_RESOURCE_ATTRIBUTES is malformed (expected key=value pairs separated by commas, values percent-encoded); ignoring all of it")
            }
        }
        if let serviceName = config.string("OTEL_SERVICE_NAME") {
            resource.attributes.set("service.name", .string(serviceName))
        } else if resource.attributes["service.name"] == nil {
            let executable = resource.attributes["process.executable.name"].flatMap { value -> String? in
                if case .string(let name) = value { return name }
                return nil
            }
            resource.attributes.set("service.name", .string("unknown_service" + (executable.map { ":" + $0 } ?? "")))
        }
        return resource
    }

    /// Parses `key1=value1,key2=value2` with percent-decoded values and
    /// trimmed keys; nil when any pair is malformed.
    public static func parseResourceAttributes(_ raw: String) -> [Attribute]? {
        var result: [Attribute] = []
        for pair in raw.split(separator: ",", omittingEmptySubsequences: false) {
            if pair.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            guard let equals = pair.firstIndex(of: "=") else { return nil }
            guard let key = percentDecode(String(pair[..<equals]).trimmingASCIIWhitespace()), !key.isEmpty,
                  let value = percentDecode(String(pair[pair.index(after: equals)...]).trimmingASCIIWhitespace()) else {
                return nil
            }
            result.append(Attribute(key, .string(value)))
        }
        return result
    }

    static func processAndHost() -> [Attribute] {
        var attributes: [Attribute] = [Attribute("process.pid", .int(Int64(getpid())))]
        if let path = executablePath() {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            attributes.append(Attribute("process.executable.name", .string(name)))
            attributes.append(Attribute("process.executable.path", .string(path)))
        }
        var host = [CChar](repeating: 0, count: 256)
        if gethostname(&host, host.count - 1) == 0 {
            let name = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !name.isEmpty { attributes.append(Attribute("host.name", .string(name))) }
        }
        attributes.append(Attribute("os.type", "linux"))
        return attributes
    }

    /// The running executable's path from /proc/self/exe.
    public static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
