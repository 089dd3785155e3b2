import Foundation

/// What a finished program left behind.
public struct ProgramResult {
    public let status: Int32
    public let stdout: String
    public let stderr: String

    /// stdout and stderr together (for compiler messages).
    public var output: String { stdout + stderr }
}

/// Runs `executable` with `arguments` to completion. stderr goes through a
/// file, so a program writing much to both streams cannot block on a full pipe.
public func runProgram(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProgramResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe()
    let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("otel-stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errorFile) }
    let errorHandle = try FileHandle(forWritingTo: errorFile)
    process.standardOutput = out
    process.standardError = errorHandle
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try errorHandle.close()
    let errData = try Data(contentsOf: errorFile)
    return ProgramResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}
