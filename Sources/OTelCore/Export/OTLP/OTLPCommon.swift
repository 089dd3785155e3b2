/// The parts of OTLP messages every signal shares (common/v1/common.proto,
/// resource/v1/resource.proto).
enum OTLPCommon {
    /// Resource: its attributes and how many were dropped.
    static func resource(_ writer: inout ProtobufWriter, _ resource: Resource) {
        for attribute in resource.attributes.entries { writer.messageField(1) { keyValue(&$0, attribute) } }
        writer.varintField(2, UInt64(resource.attributes.droppedCount))
    }

    /// InstrumentationScope: name and version.
    static func scope(_ writer: inout ProtobufWriter, _ scope: InstrumentationScope) {
        writer.stringField(1, scope.name)
        writer.stringField(2, scope.version ?? "")
    }

    static func keyValue(_ writer: inout ProtobufWriter, _ attribute: Attribute) {
        writer.stringField(1, attribute.key)
        writer.messageField(2) { anyValue(&$0, attribute.value) }
    }

    /// common.proto AnyValue: a oneof, so even zero values are written.
    static func anyValue(_ writer: inout ProtobufWriter, _ value: AttributeValue) {
        func array<T>(_ items: [T], _ element: @escaping (inout ProtobufWriter, T) -> Void) {
            writer.messageField(5) { arrayWriter in
                for item in items { arrayWriter.messageField(1) { element(&$0, item) } }
            }
        }
        switch value {
        case .string(let text): writer.stringField(1, text, always: true)
        case .bool(let flag): writer.boolField(2, flag, always: true)
        case .int(let number): writer.int64Field(3, number, always: true)
        case .double(let number): writer.doubleField(4, number, always: true)
        case .stringArray(let items): array(items) { $0.stringField(1, $1, always: true) }
        case .boolArray(let items): array(items) { $0.boolField(2, $1, always: true) }
        case .intArray(let items): array(items) { $0.int64Field(3, $1, always: true) }
        case .doubleArray(let items): array(items) { $0.doubleField(4, $1, always: true) }
        }
    }
}
