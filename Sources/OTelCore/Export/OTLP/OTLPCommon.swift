import COTelCore
import COTelCoreShims
/// The parts of OTLP messages every signal shares (common/v1/common.proto,
/// resource/v1/resource.proto).
enum OTLPCommon {
    /// Resource: its attributes and how many were dropped.
    static func resource(_ writer: inout ProtobufWriter, _ resource: Resource) {
        keyValues(&writer, field: 1, resource.attributes.entries)
        writer.varintField(2, UInt64(resource.attributes.droppedCount))
    }

    /// InstrumentationScope: name and version.
    static func scope(_ writer: inout ProtobufWriter, _ scope: InstrumentationScope) {
        writer.stringField(1, scope.name)
        writer.stringField(2, scope.version ?? "")
    }

    /// Each of `attributes` as a KeyValue message in `field`, read in place
    /// (no copy of an attribute, so no reference counting of its strings).
    static func keyValues(_ writer: inout ProtobufWriter, field: Int, _ attributes: [Attribute]) {
        attributes.withUnsafeBufferPointer { buffer in
            for index in buffer.indices { writer.messageField(field) { keyValue(&$0, buffer[index]) } }
        }
    }

    private static func keyValue(_ writer: inout ProtobufWriter, _ attribute: borrowing Attribute) {
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

    /// Item indices grouped by resource, then by instrumentation scope, in
    /// first-seen order; consecutive items usually share both, so the last
    /// item's are compared first. The items are compared where they lie (the
    /// closures): a resource or scope copied out for each item would count
    /// references to every one of its parts.
    static func groups(count: Int, sameResource: (Int, Int) -> Bool,
                       sameScope: (Int, Int) -> Bool) -> [(resource: Int, scopes: [(scope: Int, items: [Int])])] {
        var groups: [(resource: Int, scopes: [(scope: Int, items: [Int])])] = []
        // The last item, and where it went: the next item usually goes there too.
        var last: (item: Int, group: Int, scopeGroup: Int)?
        for index in 0..<count {
            if let previous = last, sameResource(previous.item, index), sameScope(previous.item, index) {
                groups[previous.group].scopes[previous.scopeGroup].items.append(index)
                continue
            }
            guard let resourceIndex = groups.firstIndex(where: { sameResource($0.resource, index) }) else {
                groups.append((index, [(index, [index])]))
                last = (index, groups.count - 1, 0)
                continue
            }
            if let scopeIndex = groups[resourceIndex].scopes.firstIndex(where: { sameScope($0.scope, index) }) {
                groups[resourceIndex].scopes[scopeIndex].items.append(index)
                last = (index, resourceIndex, scopeIndex)
            } else {
                groups[resourceIndex].scopes.append((index, [index]))
                last = (index, resourceIndex, groups[resourceIndex].scopes.count - 1)
            }
        }
        return groups
    }

    /// An Export*ServiceRequest of `count` items (given by index to the
    /// closures, compared by `sameResource` and `sameScope`) grouped by resource and scope, as ResourceSpans/ScopeSpans and
    /// ResourceLogs/ScopeLogs lay them out (same field numbers: resource 1,
    /// scopes 2, schema_url 3; scope 1, items 2, schema_url 3).
    /// `finish` receives the request's bytes where they were written.
    static func groupedRequest<Result>(count: Int, bytesPerItem: Int, resource: (Int) -> Resource, scope: (Int) -> InstrumentationScope,
                                       sameResource: (Int, Int) -> Bool, sameScope: (Int, Int) -> Bool,
                                       encode: (inout ProtobufWriter, Int) -> Void,
                                       finish: (UnsafeRawBufferPointer) -> Result) -> Result {
        var writer = ProtobufWriter(expectedBytes: 512 + count * bytesPerItem)
        for group in groups(count: count, sameResource: sameResource, sameScope: sameScope) {
            let groupResource = resource(group.resource)
            writer.messageField(1) { resourceItems in
                resourceItems.messageField(1) { OTLPCommon.resource(&$0, groupResource) }
                for scopeGroup in group.scopes {
                    let groupScope = scope(scopeGroup.scope)
                    resourceItems.messageField(2) { scopeItems in
                        scopeItems.messageField(1) { OTLPCommon.scope(&$0, groupScope) }
                        for index in scopeGroup.items { scopeItems.messageField(2) { encode(&$0, index) } }
                        scopeItems.stringField(3, groupScope.schemaURL ?? "")
                    }
                }
                resourceItems.stringField(3, groupResource.schemaURL)
            }
        }
        return writer.withBytes(finish)
    }
}
