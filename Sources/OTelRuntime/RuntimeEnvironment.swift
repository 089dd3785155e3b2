import COTelCoreShims

/// Facts about the process the runtime is loaded into.
public enum RuntimeEnvironment {
    /// True under secure execution (AT_SECURE: setuid, setgid, file
    /// capabilities). The runtime then stays inert: nothing from the
    /// environment may choose code to load into a privileged process.
    public static var isSecureExecution: Bool { otel_shim_is_secure_execution() }
}
