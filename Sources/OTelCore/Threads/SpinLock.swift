#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A lock for data held for a few nanoseconds at a time, such as a span's
/// fields. Taking it is one atomic exchange and giving it back a plain
/// release store (a Mutex pays a second atomic to unlock, and on x86 each
/// atomic waits for the thread's pending stores). A waiter spins briefly,
/// then yields the processor.
struct SpinLock: ~Copyable, Sendable {
    private let held = Atomic<Bool>(false)

    init() {}

    @inline(__always)
    func lock() {
        if held.exchange(true, ordering: .acquiring) { waitAndLock() }
    }

    @inline(never)
    private func waitAndLock() {
        var spins = 0
        while true {
            if !held.load(ordering: .relaxed) && !held.exchange(true, ordering: .acquiring) { return }
            spins += 1
            if spins == 100 {
                sched_yield()
                spins = 0
            }
        }
    }

    @inline(__always)
    func unlock() {
        held.store(false, ordering: .releasing)
    }
}
