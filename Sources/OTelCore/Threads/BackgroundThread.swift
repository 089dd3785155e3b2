#if canImport(Glibc)
import Glibc
#endif
import COTelCoreShims

/// Starts a detached pthread that runs `body` with every signal blocked, so
/// the program's signals are always delivered to its own threads, after
/// `otel_shim_sdk_thread_start` (the hooking engine's suppression, once the
/// runtime has set it).
/// Returns false (and runs nothing) when the thread cannot be created.
func startBackgroundThread(name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        let name: String
        init(_ body: @escaping @Sendable () -> Void, name: String) { self.body = body; self.name = name }
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

    let box = Unmanaged.passRetained(Box(body, name: name))
    var thread = pthread_t()
    let result = pthread_create(&thread, &attributes, { argument in
        let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
        otel_shim_set_thread_name(box.name)
        otel_shim_run_sdk_thread_start() // the SDK's own work is never traced
        box.body()
        return nil
    }, box.toOpaque())
    if result != 0 {
        box.release()
        return false
    }
    return true
}
