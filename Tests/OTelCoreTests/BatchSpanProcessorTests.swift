import Foundation
import OTelCore
import XCTest

final class BatchSpanProcessorTests: XCTestCase {
    func makeTracer(_ processor: BatchSpanProcessor) -> Tracer {
        TracerProvider(resource: Resource(), sampler: AlwaysOnSampler(), processors: [processor], diagnostics: Diagnostics(level: .none))
            .tracer(name: "bsp")
    }

    func runProducers(threads: Int, spansEach: Int, tracer: Tracer) {
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0..<spansEach {
                tracer.startSpan("t\(thread)-\(index)", parent: .root).end()
            }
        }
    }

    func testEightProducersBelowQueueSizeLoseNothing() {
        let exporter = CollectingExporter()
        var configuration = BatchSpanProcessor.Configuration()
        configuration.maxQueueSize = 10_000
        configuration.maxExportBatchSize = 512
        let processor = BatchSpanProcessor(exporter: exporter, configuration: configuration, diagnostics: Diagnostics(level: .none))
        runProducers(threads: 8, spansEach: 1000, tracer: makeTracer(processor))
        XCTAssertTrue(processor.forceFlush(timeoutNanoseconds: 10_000_000_000))
        XCTAssertEqual(exporter.spans.count, 8000)
        XCTAssertEqual(Set(exporter.spans.map(\.name)).count, 8000, "each span exported exactly once")
        XCTAssertEqual(processor.droppedSpans, 0)
        XCTAssertTrue(processor.shutdown(timeoutNanoseconds: 5_000_000_000))
        XCTAssertEqual(exporter.shutdowns, 1)
    }

    func testAboveQueueSizeDropsAreCountedAndCallerNeverBlocks() {
        let exporter = BlockingExporter()
        var configuration = BatchSpanProcessor.Configuration()
        configuration.maxQueueSize = 100
        configuration.maxExportBatchSize = 10
        let captured = CapturedDiagnostics()
        let processor = BatchSpanProcessor(exporter: exporter, configuration: configuration, diagnostics: captured.make())
        // The exporter is stuck: producers must still finish (no blocking).
        runProducers(threads: 8, spansEach: 200, tracer: makeTracer(processor))
        XCTAssertGreaterThan(processor.droppedSpans, 0)
        exporter.release()
        XCTAssertTrue(processor.forceFlush(timeoutNanoseconds: 10_000_000_000))
        XCTAssertEqual(exporter.exportedCount + processor.droppedSpans, 1600, "every span is exported or counted as dropped")
        XCTAssertLessThanOrEqual(exporter.exportedCount, 100 + 10, "at most the queue plus the batch in flight")
        XCTAssertEqual(captured.lines.filter { $0.contains("queue is full") }.count, 1, "the drop is reported once")
    }

    func testScheduledDelayExportsWithoutFlush() {
        let exporter = CollectingExporter()
        var configuration = BatchSpanProcessor.Configuration()
        configuration.scheduleDelayNanoseconds = 50_000_000
        let processor = BatchSpanProcessor(exporter: exporter, configuration: configuration, diagnostics: Diagnostics(level: .none))
        makeTracer(processor).startSpan("one", parent: .root).end()
        let deadline = Date().addingTimeInterval(5)
        while exporter.spans.isEmpty && Date() < deadline { usleep(10_000) }
        XCTAssertEqual(exporter.spans.map(\.name), ["one"])
    }

    /// An exporter that never returns: shutdown gives up at its timeout and
    /// counts the span being exported as not exported.
    func testShutdownIsBoundedWhenExporterHangs() {
        let exporter = BlockingExporter()
        let captured = CapturedDiagnostics()
        let processor = BatchSpanProcessor(exporter: exporter, diagnostics: captured.make())
        makeTracer(processor).startSpan("stuck", parent: .root).end()
        XCTAssertFalse(processor.forceFlush(timeoutNanoseconds: 100_000_000), "the export hangs")
        let start = Date()
        XCTAssertFalse(processor.shutdown(timeoutNanoseconds: 200_000_000))
        XCTAssertLessThan(Date().timeIntervalSince(start), 3, "shutdown returns near its timeout")
        XCTAssertEqual(captured.lines.filter { $0.contains("shutdown timed out") }, ["otel-native: warning: shutdown timed out with 1 span not exported\n"])
        exporter.release()
    }

    func testSpansAfterShutdownAreIgnored() {
        let exporter = CollectingExporter()
        let processor = BatchSpanProcessor(exporter: exporter, diagnostics: Diagnostics(level: .none))
        let tracer = makeTracer(processor)
        tracer.startSpan("before", parent: .root).end()
        XCTAssertTrue(processor.shutdown(timeoutNanoseconds: 5_000_000_000))
        tracer.startSpan("after", parent: .root).end()
        XCTAssertEqual(exporter.spans.map(\.name), ["before"])
    }

    func testBatchSizeAboveQueueSizeIsClamped() {
        let captured = CapturedDiagnostics()
        let config = ConfigReader(environment: Environment(["OTEL_BSP_MAX_QUEUE_SIZE": "10", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "20"]), diagnostics: captured.make())
        XCTAssertEqual(BatchSpanProcessor.Configuration(config: config).maxExportBatchSize, 10)
        XCTAssertEqual(captured.lines.count, 1)
    }
}
