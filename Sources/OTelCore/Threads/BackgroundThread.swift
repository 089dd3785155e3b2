#if canImport(Glibc)
import Glibc
#endif
import COTelCoreShims
import Synchronization

/// Whether export threads whose exporters confine their descriptors take a
/// descriptor table of their own (OTEL_NATIVE_EXPORT_OWN_DESCRIPTORS, on by default).
let exportThreadsMayOwnDescriptors = Atomic<Bool>(true)

/// Starts a detached pthread that runs `body` with every signal blocked, so
/// the program's signals are always delivered to its own threads, after
/// `otel_shim_sdk_thread_start` (the hooking engine's suppression, once the
/// runtime has set it). `ownDescriptors`: the thread only runs exporters that
/// confine their descriptors, so it may drop the program's descriptor table
/// for one of its own (export_thread_descriptors.c).
/// Returns false (and runs nothing) when the thread cannot be created.
func startBackgroundThread(name: String, ownDescriptors: Bool = false, _ body: @escaping @Sendable () -> Void) -> Bool {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        let name: String
        let ownDescriptors: Bool
        init(_ body: @escaping @Sendable () -> Void, name: String, ownDescriptors: Bool) {
            self.body = body
            self.name = name
            self.ownDescriptors = ownDescriptors
        }
    }
    var allSignals = sigset_t()
    var previous = sigset_t()
    sigfillset(&allSignals)
    // Block before creating: the new thread inherits the mask from birth.
    pthread_sigmask(SIG_SETMASK, &allSignals, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }

    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    defer { pthread_attr_destroy(&attributes) }

    let box = Unmanaged.passRetained(Box(body, name: name, ownDescriptors: ownDescriptors && exportThreadsMayOwnDescriptors.load(ordering: .relaxed)))
    var thread = pthread_t()
    let result = pthread_create(&thread, &attributes, { argument in
        let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
        otel_shim_set_thread_name(box.name)
        otel_shim_run_sdk_thread_start() // the SDK's own work is never traced
        if box.ownDescriptors { _ = otel_shim_export_thread_own_descriptors() }
        box.body()
        return nil
    }, box.toOpaque())
    if result != 0 {
        box.release()
        return false
    }
    return true
}
