import Synchronization

/// The tracers, meters or loggers of a provider: one per instrumentation
/// scope, made on first request (trace, metrics and logs API, "Get a
/// Tracer/Meter/Logger": the same scope yields the same object; an empty name
/// is allowed but reported).
final class ScopedInstances<Value: AnyObject & Sendable>: Sendable {
    private let instances = ForkSafeMutex<[InstrumentationScope: Value]>([:])
    /// "tracer", "meter", "logger": for the diagnostic.
    private let kind: String

    init(kind: String) {
        self.kind = kind
    }

    /// Around fork (ForkSafeMutex): taken before, given back after.
    func lockForFork() { instances.lockForFork() }
    func unlockAfterFork() { instances.unlockAfterFork() }

    func get(name: String, version: String?, schemaURL: String?, diagnostics: Diagnostics,
             make: (InstrumentationScope) -> Value) -> Value {
        if name.isEmpty { diagnostics.warn("a \(kind) was requested with an empty name") }
        let scope = InstrumentationScope(name: name, version: version, schemaURL: schemaURL)
        return instances.withLock { instances in
            if let existing = instances[scope] { return existing }
            let value = make(scope)
            instances[scope] = value
            return value
        }
    }
}
