import Foundation
@_exported import OTelTestSupport
import OTelCore
import Synchronization

/// Collects exported spans in memory.
final class CollectingExporter: SpanExporter, @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [SpanData] = []
    private var shutdownCalls = 0

    var spans: [SpanData] { lock.withLock { collected } }
    var shutdowns: Int { lock.withLock { shutdownCalls } }

    func export(_ spans: [SpanData]) -> ExportResult {
        lock.withLock { collected += spans }
        return .success
    }
    func forceFlush(timeoutNanoseconds: UInt64) -> Bool { true }
    func shutdown(timeoutNanoseconds: UInt64) -> Bool {
        lock.withLock { shutdownCalls += 1 }
        return true
    }
}

/// An exporter whose export blocks until `release()` is called.
final class BlockingExporter: SpanExporter, @unchecked Sendable {
    private let gate = NSCondition()
    private var open = false
    private var exported = 0

    var exportedCount: Int { gate.withLock { exported } }

    func release() {
        gate.withLock {
            open = true
            gate.broadcast()
        }
    }

    func export(_ spans: [SpanData]) -> ExportResult {
        gate.withLock {
            while !open { gate.wait() }
            exported += spans.count
        }
        return .success
    }
    func forceFlush(timeoutNanoseconds: UInt64) -> Bool { true }
    func shutdown(timeoutNanoseconds: UInt64) -> Bool { true }
}

/// Diagnostics that record every line instead of printing it.
final class CapturedDiagnostics: @unchecked Sendable {
    private let lock = NSLock()
    private var captured: [String] = []
    var lines: [String] { lock.withLock { captured } }

    func record(_ line: String) { lock.withLock { captured.append(line) } }

    func make(level: DiagnosticLevel = .debug) -> Diagnostics {
        Diagnostics(level: level) { [self] line in record(line) }
    }
}

/// A provider with a simple processor and a collecting exporter.
func makeProvider(sampler: any Sampler = AlwaysOnSampler(), limits: SpanLimits = SpanLimits(),
                  exporter: CollectingExporter = CollectingExporter()) -> (TracerProvider, CollectingExporter) {
    let diagnostics = Diagnostics(level: .none)
    let provider = TracerProvider(resource: Resource(attributes: [Attribute("service.name", "test")]), sampler: sampler,
                                  limits: limits, processors: [SimpleSpanProcessor(exporter: exporter)], diagnostics: diagnostics)
    return (provider, exporter)
}

/// The path of an executable built next to the test bundle.
func builtProduct(_ name: String) -> URL {
    var directory = Bundle(for: CollectingExporter.self).bundleURL
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
        let parent = directory.deletingLastPathComponent()
        if parent == directory { break }
        directory = parent
    }
    return directory.appendingPathComponent(name)
}
