import COTelCore
import COTelCoreShims

// The metrics functions of otel_core.h. Meters and instruments are owned by
// the installed MeterProvider, which lives as long as the process: the C
// handles are unretained pointers to them.

@_cdecl("otel_meter_get")
public func cMeterGet(_ name: UnsafePointer<CChar>?, _ version: UnsafePointer<CChar>?, _ schemaURL: UnsafePointer<CChar>?) -> OpaquePointer? {
    guard let name, let meter = OTelSDK.meter(name: String(cString: name), version: version.map { String(cString: $0) },
                                              schemaURL: schemaURL.map { String(cString: $0) }) else { return nil }
    return OpaquePointer(Unmanaged.passUnretained(meter).toOpaque())
}

@_cdecl("otel_instrument_create")
public func cInstrumentCreate(_ meter: OpaquePointer?, _ kind: otel_instrument_kind, _ isDouble: Bool, _ name: UnsafePointer<CChar>?,
                              _ unit: UnsafePointer<CChar>?, _ description: UnsafePointer<CChar>?,
                              _ boundaries: UnsafePointer<Double>?, _ boundaryCount: Int) -> OpaquePointer? {
    guard let meter, let name, let kind = InstrumentKind(rawValue: Int(kind.rawValue)) else { return nil }
    let advice = boundaries.map { Array(UnsafeBufferPointer(start: $0, count: boundaryCount)) }
    let instrument = Unmanaged<Meter>.fromOpaque(UnsafeRawPointer(meter)).takeUnretainedValue()
        .instrument(String(cString: name), kind, unit.map { String(cString: $0) } ?? "",
                    description.map { String(cString: $0) } ?? "", isDouble, boundaries: advice)
    return instrument.cInstrument
}

/// Runs `body` with the instrument behind a C handle, borrowed (no reference counting).
@inline(__always)
private func withInstrument(_ instrument: OpaquePointer?, _ body: (MetricInstrument) -> Void) {
    guard let instrument, let swiftInstrument = MetricInstrument.from(cInstrument: instrument) else { return }
    swiftInstrument._withUnsafeGuaranteedRef(body)
}

@_cdecl("otel_instrument_record_int")
public func cInstrumentRecordInt(_ instrument: OpaquePointer?, _ value: Int64, _ attributes: UnsafePointer<otel_attribute>?, _ count: Int) {
    withInstrument(instrument) { instrument in
        guard let value = instrument.stored(value) else { return }
        instrument.record(int: value.int, double: value.double, attributes: attributes, count: count)
    }
}

@_cdecl("otel_instrument_record_double")
public func cInstrumentRecordDouble(_ instrument: OpaquePointer?, _ value: Double, _ attributes: UnsafePointer<otel_attribute>?, _ count: Int) {
    withInstrument(instrument) { instrument in
        guard let value = instrument.stored(value) else { return }
        instrument.record(int: value.int, double: value.double, attributes: attributes, count: count)
    }
}

@_cdecl("otel_attribute_set_create")
public func cAttributeSetCreate(_ attributes: UnsafePointer<otel_attribute>?, _ count: Int) -> OpaquePointer? {
    otel_shim_attribute_set_create(attributes, count).map { OpaquePointer($0) }
}

@_cdecl("otel_attribute_set_release")
public func cAttributeSetRelease(_ set: OpaquePointer?) {
    otel_shim_attribute_set_release(UnsafeMutablePointer(set))
}

// otel_instrument_enabled and otel_instrument_record_int_set/_double_set: instrument_fast_path.c.
