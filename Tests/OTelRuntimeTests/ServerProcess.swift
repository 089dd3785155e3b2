import Foundation

/// A server the tests start (a Python script, nginx…), stopped when released.
/// It either prints the port it listens on as its first line of output, or
/// is given one (`port`) and is ready once that port accepts connections.
final class ServerProcess {
    let process = Process()
    let port: Int

    /// A TCP port on 127.0.0.1 that nothing listens on right now.
    static func freePort() -> Int {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts connections on 127.0.0.1:`port`.
    static func accepts(_ port: Int) -> Bool {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// Starts `command` through /usr/bin/env with `environment` added, and waits
    /// until it listens: on `port` when given, else on the port it prints.
    init(_ command: [String], environment: [String: String] = [:], output: URL? = nil, port givenPort: Int? = nil) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        process.standardOutput = givenPort != nil && output == nil ? FileHandle.nullDevice : out
        try process.run()
        if let givenPort {
            port = givenPort
            var attempts = 0
            while !Self.accepts(givenPort) && process.isRunning && attempts < 200 {
                Thread.sleep(forTimeInterval: 0.05)
                attempts += 1
            }
        } else {
            var line = Data()
            while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
                line.append(byte)
            }
            port = Int(String(decoding: line, as: UTF8.self)) ?? 0
        }
        if let output {
            // The rest of the output goes to a file the test reads (a full pipe would block the server).
            FileManager.default.createFile(atPath: output.path, contents: nil)
            let handle = try FileHandle(forWritingTo: output)
            out.fileHandleForReading.readabilityHandler = { readable in
                let data = readable.availableData
                if data.isEmpty { readable.readabilityHandler = nil } else { handle.write(data) }
            }
        }
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }
}
