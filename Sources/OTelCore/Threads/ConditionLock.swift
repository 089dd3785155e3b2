#if canImport(Glibc)
import Glibc
#endif
import COTelCoreShims

/// A pthread mutex with one condition variable on CLOCK_MONOTONIC, for the
/// few places that must wait with a deadline (processors, shutdown).
final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        initialize()
    }

    private func initialize() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// In a forked child (one thread): the mutex and condition as new, whichever
    /// parent thread held or waited on them when the process forked.
    func reinitializeAfterFork() { initialize() }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` with the mutex held.
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Wakes every waiter. Call with the mutex held.
    func broadcast() { pthread_cond_broadcast(condition) }

    /// Waits (mutex held) until woken or until the monotonic clock reaches
    /// `deadline` ns; false when the deadline passed.
    @discardableResult
    func wait(untilMonotonic deadline: UInt64) -> Bool {
        var time = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        return pthread_cond_timedwait(condition, mutex, &time) == 0
    }
}

/// A monotonic deadline `nanoseconds` from now, saturating.
func monotonicDeadline(after nanoseconds: UInt64) -> UInt64 {
    let now = otel_shim_monotonic_ns()
    let (sum, overflow) = now.addingReportingOverflow(nanoseconds)
    return overflow ? UInt64.max / 2 : sum
}
