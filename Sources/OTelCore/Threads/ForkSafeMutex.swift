/// A value behind a SpinLock that fork cannot leave locked in the child: the
/// SDK's fork handlers take it before fork (so no thread is half way through
/// changing the value when the process is copied) and give it back after, in
/// the parent and in the child. For the SDK's few shared tables, which are
/// held for microseconds and never while waiting on anything.
final class ForkSafeMutex<Value>: @unchecked Sendable {
    private let lock = SpinLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with the value, the lock held.
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// Before fork: takes the lock (the fork handlers only).
    func lockForFork() { lock.lock() }

    /// After fork, in the parent and in the child: gives the lock back.
    func unlockAfterFork() { lock.unlock() }
}
