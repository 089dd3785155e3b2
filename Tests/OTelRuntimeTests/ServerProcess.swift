import Foundation

/// A server the tests start (a Python script, nginx…): it prints the port it
/// listens on as its first line of output, and is stopped when released.
final class ServerProcess {
    let process = Process()
    let port: Int

    /// Starts `command` through /usr/bin/env with `environment` added, and waits for its port.
    init(_ command: [String], environment: [String: String] = [:], output: URL? = nil) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        port = Int(String(decoding: line, as: UTF8.self)) ?? 0
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
