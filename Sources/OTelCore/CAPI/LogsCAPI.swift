import COTelCore

// The logs functions of otel_core.h. Loggers are owned by the installed
// LoggerProvider, which lives as long as the process: the C handles are
// unretained pointers to them.

@_cdecl("otel_logger_get")
public func cLoggerGet(_ name: UnsafePointer<CChar>?, _ version: UnsafePointer<CChar>?, _ schemaURL: UnsafePointer<CChar>?) -> OpaquePointer? {
    guard let name, let logger = OTelSDK.logger(name: String(cString: name), version: version.map { String(cString: $0) },
                                                schemaURL: schemaURL.map { String(cString: $0) }) else { return nil }
    return logger.cLogger
}

@_cdecl("otel_log_emit")
public func cLogEmit(_ logger: OpaquePointer?, _ severityNumber: Int32, _ severityText: UnsafePointer<CChar>?,
                     _ body: UnsafePointer<CChar>?, _ attributes: UnsafePointer<otel_attribute>?, _ count: Int) {
    guard let logger else { return }
    Unmanaged<Logger>.fromOpaque(UnsafeRawPointer(logger))._withUnsafeGuaranteedRef { logger in
        logger.emit(body: body.map { .string(String(cString: $0)) }, severityNumber: Int(severityNumber),
                    severityText: severityText.map { String(cString: $0) }, attributes: swiftAttributes(attributes, count))
    }
}
