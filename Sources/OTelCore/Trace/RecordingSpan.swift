import COTelCoreShims

/// A sampled (or record-only) span: everything the SDK records about one
/// operation. Thread-safe; frozen once ended (trace SDK, "Span").
public final class RecordingSpan: Sendable {
    /// The span's own context.
    public let context: SpanContext
    /// The parent's context, nil for a root span.
    public let parentContext: SpanContext?
    public let kind: SpanKind
    /// The tracer that started the span (its scope and provider).
    let tracer: Tracer
    /// Start time in nanoseconds since the Unix epoch.
    public let startTime: UInt64
    /// The instrumentation scope that produced the span.
    public var scope: InstrumentationScope { tracer.scope }
    var provider: TracerProvider { tracer.provider }

    struct State {
        var name: String
        var attributes: Attributes
        var events: [SpanEvent] = []
        var droppedEvents = 0
        var links: [SpanLink] = []
        var droppedLinks = 0
        var status = SpanStatus(code: .unset)
        var endTime: UInt64 = 0
        /// Attributes plugins set, still as the bytes they passed: they become
        /// `attributes` (in the order set) before anything else changes or reads those.
        var logged = otel_shim_attribute_log()
        /// Once the span has ended and was read: its only attributes, the log's,
        /// shared by every snapshot and converted when one asks for them.
        var loggedAtEnd: LoggedAttributes?
    }

    private let lock = SpinLock()
    /// Read and written only under `lock` (see `withState`).
    private nonisolated(unsafe) var state: State

    init(context: SpanContext, parentContext: SpanContext?, name: String, kind: SpanKind, tracer: Tracer,
         startTime: UInt64, attributes: Attributes, links: [SpanLink]) {
        self.context = context
        self.parentContext = parentContext
        self.kind = kind
        self.tracer = tracer
        self.startTime = startTime
        let limit = tracer.provider.limits.linkCount
        if links.count <= limit {
            state = State(name: name, attributes: attributes, links: links)
        } else {
            state = State(name: name, attributes: attributes, links: Array(links.prefix(limit)),
                          droppedLinks: links.count - limit)
        }
    }

    /// The SDK's span of a span recorded in C (span_record.c): what the record
    /// holds, its attributes moved out of it, described ones made now (the
    /// caller frees the record). Ended when the record has ended.
    convenience init(record: UnsafeMutablePointer<otel_shim_span_record>) {
        let tracer = Unmanaged<Tracer>.fromOpaque(record.pointee.tracer.pointee.swift_tracer).takeUnretainedValue()
        let traceId = TraceId(high: record.pointee.trace_id_high, low: record.pointee.trace_id_low)
        let parentContext = record.pointee.parent_span_id == 0 ? nil : SpanContext(
            traceId: traceId, spanId: SpanId(record.pointee.parent_span_id),
            traceFlags: TraceFlags(rawValue: record.pointee.parent_trace_flags), isRemote: record.pointee.parent_is_remote != 0)
        let limits = tracer.provider.limits
        self.init(context: SpanContext(traceId: traceId, spanId: SpanId(record.pointee.span_id),
                                       traceFlags: TraceFlags(rawValue: record.pointee.trace_flags)),
                  parentContext: parentContext, name: String(cString: record.pointee.name),
                  kind: SpanKind(rawValue: Int(record.pointee.kind)) ?? .internal, tracer: tracer,
                  startTime: record.pointee.start_time_ns,
                  attributes: Attributes(countLimit: limits.attributeCount, valueLengthLimit: limits.attributeValueLength), links: [])
        otel_shim_attribute_log_settle(&record.pointee.attributes)
        state.logged = record.pointee.attributes
        record.pointee.attributes = otel_shim_attribute_log()
        if let code = SpanStatus.Code(rawValue: Int(record.pointee.status_code)) {
            state.status = SpanStatus(code: code, description: record.pointee.status_description.map { String(cString: $0) })
        }
        state.endTime = record.pointee.end_time_ns
    }

    /// The SDK's span of a record that has ended, which it frees.
    static func taking(ended record: UnsafeMutablePointer<otel_shim_span_record>) -> RecordingSpan {
        defer { otel_shim_span_record_free(record) }
        return RecordingSpan(record: record)
    }

    deinit { otel_shim_attribute_log_clear(&state.logged) }

    /// Runs `body` on the state under the span's lock.
    @inline(__always)
    private func withState<Result>(_ body: (inout State) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }

    /// False once the span has ended.
    public var isRecording: Bool { withState { $0.endTime == 0 } }

    /// Applies `change` unless the span has ended (changes after end are ignored).
    private func update(_ change: (inout State) -> Void) {
        withState { state in
            if state.endTime == 0 { change(&state) }
        }
    }

    func setAttribute(_ key: String, _ value: AttributeValue) {
        withState { state in
            guard state.endTime == 0 else { return }
            Self.takeLogged(&state)
            state.attributes.set(key, value)
        }
    }

    /// Keeps attributes a plugin sets as the bytes it passed: the setting
    /// thread makes no Swift string (they are converted when the span is read,
    /// for an exported span on the export thread). False when they must be
    /// converted now instead (an array among them).
    func log(_ attributes: UnsafePointer<otel_attribute>, count: Int) -> Bool {
        withState { state in
            // An ended span keeps what it had.
            state.endTime != 0 || otel_shim_attribute_log_append(&state.logged, attributes, count)
        }
    }

    /// The same for one string of `length` bytes.
    func log(key: UnsafePointer<CChar>, string: UnsafePointer<CChar>, length: Int) -> Bool {
        withState { state in
            state.endTime != 0 || otel_shim_attribute_log_append_string(&state.logged, key, string, length)
        }
    }

    /// Turns the logged attributes into attributes (before anything else changes or reads them).
    private static func takeLogged(_ state: inout State) {
        guard state.logged.count > 0 else { return }
        LoggedAttributes.convert(state.logged, into: &state.attributes)
        otel_shim_attribute_log_clear(&state.logged)
    }

    /// Sets the attributes in `buffer` under one lock, moving them out of it
    /// (the buffer is left uninitialized).
    func setAttributes(moving buffer: UnsafeMutableBufferPointer<Attribute>) {
        withState { state in
            if state.endTime == 0 {
                Self.takeLogged(&state)
                state.attributes.set(moving: buffer)
            } else {
                _ = buffer.deinitialize() // an ended span keeps what it had
            }
        }
    }

    /// Sets several attributes under one lock.
    func setAttributes<Entries: Sequence<Attribute>>(_ attributes: Entries) {
        withState { state in
            guard state.endTime == 0 else { return }
            Self.takeLogged(&state)
            for attribute in attributes { state.attributes.set(attribute.key, attribute.value) }
        }
    }

    func addEvent(_ name: String, attributes: [Attribute], timestamp: UInt64) {
        let limits = provider.limits
        var kept = Attributes(countLimit: limits.attributesPerEvent, valueLengthLimit: limits.attributeValueLength)
        for attribute in attributes { kept.set(attribute.key, attribute.value) }
        let event = SpanEvent(name: name, timestamp: timestamp, attributes: kept)
        update { state in
            if state.events.count < limits.eventCount {
                state.events.append(event)
            } else {
                state.droppedEvents += 1
            }
        }
    }

    func addLink(_ link: SpanLink) {
        let limit = provider.limits.linkCount
        update { state in
            if state.links.count < limit {
                state.links.append(link)
            } else {
                state.droppedLinks += 1
            }
        }
    }

    func setStatus(_ status: SpanStatus) {
        update { state in
            // trace API, "Set Status": OK is final; UNSET never overrides.
            if state.status.code == .ok || status.code == .unset { return }
            state.status = status
        }
    }

    func updateName(_ name: String) {
        update { $0.name = name }
    }

    func end(at time: UInt64) {
        let ended = withState { state -> Bool in
            guard state.endTime == 0 else { return false }
            state.endTime = max(time, startTime) == 0 ? 1 : max(time, startTime)
            return true
        }
        if ended { provider.spanEnded(self) }
    }

    /// A copy of everything recorded, for exporters.
    public func snapshot() -> SpanData {
        let resource = provider.resource
        // Built under the lock from the state in place (not through withState's
        // closure): each copy of a state or a SpanData counts references to all its parts.
        lock.lock()
        defer { lock.unlock() }
        if state.endTime != 0 && state.attributes.isEmpty && state.logged.count > 0 {
            // Nothing can change any more: the log is kept for the exporters as it is.
            state.loggedAtEnd = LoggedAttributes(moving: &state.logged, into: state.attributes)
        } else {
            Self.takeLogged(&state)
        }
        return SpanData(
            name: state.name, context: context, parentContext: parentContext, kind: kind, scope: scope,
            resource: resource, startTime: startTime, endTime: state.endTime,
            attributes: state.attributes, logged: state.loggedAtEnd, events: state.events, droppedEvents: state.droppedEvents,
            links: state.links, droppedLinks: state.droppedLinks, status: state.status)
    }
}

/// An ended span as exporters see it (trace SDK, "ReadableSpan").
public struct SpanData: Sendable {
    public var name: String
    public var context: SpanContext
    public var parentContext: SpanContext?
    public var kind: SpanKind
    public var scope: InstrumentationScope
    public var resource: Resource
    /// Nanoseconds since the Unix epoch.
    public var startTime: UInt64
    /// Nanoseconds since the Unix epoch.
    public var endTime: UInt64
    /// Set as `attributes`, or converted from `logged` when read.
    private var storedAttributes: Attributes
    /// The attributes plugins set, still as bytes (see LoggedAttributes); nil once `attributes` is set.
    private(set) var logged: LoggedAttributes?
    public var attributes: Attributes {
        get { logged?.attributes ?? storedAttributes }
        set {
            storedAttributes = newValue
            logged = nil
        }
    }
    public var events: [SpanEvent]
    public var droppedEvents: Int
    public var links: [SpanLink]
    public var droppedLinks: Int
    public var status: SpanStatus

    public init(name: String, context: SpanContext, parentContext: SpanContext?, kind: SpanKind, scope: InstrumentationScope,
                resource: Resource, startTime: UInt64, endTime: UInt64, attributes: Attributes, events: [SpanEvent],
                droppedEvents: Int, links: [SpanLink], droppedLinks: Int, status: SpanStatus) {
        self.init(name: name, context: context, parentContext: parentContext, kind: kind, scope: scope, resource: resource,
                  startTime: startTime, endTime: endTime, attributes: attributes, logged: nil, events: events,
                  droppedEvents: droppedEvents, links: links, droppedLinks: droppedLinks, status: status)
    }

    init(name: String, context: SpanContext, parentContext: SpanContext?, kind: SpanKind, scope: InstrumentationScope,
         resource: Resource, startTime: UInt64, endTime: UInt64, attributes: Attributes, logged: LoggedAttributes?,
         events: [SpanEvent], droppedEvents: Int, links: [SpanLink], droppedLinks: Int, status: SpanStatus) {
        self.name = name
        self.context = context
        self.parentContext = parentContext
        self.kind = kind
        self.scope = scope
        self.resource = resource
        self.startTime = startTime
        self.endTime = endTime
        storedAttributes = attributes
        self.logged = logged
        self.events = events
        self.droppedEvents = droppedEvents
        self.links = links
        self.droppedLinks = droppedLinks
        self.status = status
    }
}
