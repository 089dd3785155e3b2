import COTelCore
import COTelCoreShims
import COTelHook
import COTelPlugin
import OTelCore

/// The host table handed to every plugin: the core's C API, configuration
/// and diagnostics, as one versioned struct that lives for the whole process.
public enum HostTable {
    /// The table (allocated once, never freed: plugins may keep the pointer).
    /// Immutable after initialisation, so sharing it across threads is safe.
    public nonisolated(unsafe) static let shared: UnsafePointer<otel_host_api> = {
        let table = UnsafeMutablePointer<otel_host_api>.allocate(capacity: 1)
        var host = otel_host_api()
        host.size = UInt32(MemoryLayout<otel_host_api>.size)
        host.abi = hostABI
        host.log = { level, message in
            guard let message else { return }
            let text = String(cString: message)
            let diagnostics = OTelSDK.diagnostics
            switch level {
            case OTEL_LOG_DEBUG: diagnostics.debug(text)
            case OTEL_LOG_INFO: diagnostics.info(text)
            case OTEL_LOG_WARNING: diagnostics.warn(text)
            default: diagnostics.error(text)
            }
        }
        host.config_get = { name in name.flatMap { otel_shim_config_get($0) } }
        host.config_set_default = { name, value in otel_shim_config_set_default(name, value) }
        host.tracer_get = otel_tracer_get
        host.span_start = otel_span_start
        host.span_start_at = otel_span_start_at
        host.span_is_recording = otel_span_is_recording
        host.span_set_string = otel_span_set_string
        host.span_set_string_n = otel_span_set_string_n
        host.span_set_bool = otel_span_set_bool
        host.span_set_int = otel_span_set_int
        host.span_set_double = otel_span_set_double
        host.span_set_attributes = otel_span_set_attributes
        host.span_add_event = otel_span_add_event
        host.span_add_link = otel_span_add_link
        host.span_record_exception = otel_span_record_exception
        host.span_set_status = otel_span_set_status
        host.span_update_name = otel_span_update_name
        host.span_end = otel_span_end
        host.span_end_at = otel_span_end_at
        host.span_make_current = otel_span_make_current
        host.context_attach = otel_context_attach
        host.context_restore = otel_context_restore
        host.context_current = otel_context_current
        host.context_root = otel_context_root
        host.context_with_span = otel_context_with_span
        host.context_release = otel_context_release
        host.propagation_inject = otel_propagation_inject
        host.propagation_extract = otel_propagation_extract
        host.hook_wrap = { symbol, replacement, original, flags in
            UnsafeMutableRawPointer(otel_hook_wrap(symbol, replacement, original, flags))
        }
        host.hook_unwrap = { hook in otel_hook_unwrap(OpaquePointer(hook)) }
        host.hook_enter = otel_hook_enter
        host.hook_exit = otel_hook_exit
        host.process_exiting = { otel_shim_is_process_exiting() }
        host.process_traceparent = otel_shim_current_traceparent
        host.process_exit_status = { ProcessSpan.recordExitStatus($0) }
        host.process_ending = { ProcessSpan.imageEnding() }
        host.span_set_described = otel_span_set_described
        host.meter_get = otel_meter_get
        host.instrument_create = otel_instrument_create
        host.instrument_record_int = otel_instrument_record_int
        host.instrument_record_double = otel_instrument_record_double
        host.instrument_enabled = otel_instrument_enabled
        host.attribute_set_create = otel_attribute_set_create
        host.attribute_set_release = otel_attribute_set_release
        host.instrument_record_int_set = otel_instrument_record_int_set
        host.instrument_record_double_set = otel_instrument_record_double_set
        host.logger_get = otel_logger_get
        host.log_emit = otel_log_emit
        table.initialize(to: host)
        return UnsafePointer(table)
    }()

    /// OTEL_PLUGIN_ABI_VERSION of this host.
    public static let hostABI = UInt32(OTEL_PLUGIN_ABI_MAJOR) << 16 | UInt32(OTEL_PLUGIN_ABI_MINOR)
}
