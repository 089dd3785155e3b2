#if canImport(Glibc)
import Glibc
#endif
import OTelRuntime

/// An object a program loads: the name it was asked for, and what it is.
public struct LoadedObject {
    /// The DT_NEEDED name (or the program's path, for the program itself).
    public let name: String
    public let file: ELFFile
}

/// Finds the objects a program loads at start-up without running it, in the
/// order and with the search rules of the dynamic loader (ld.so(8), "Shared
/// libraries are searched for"): a name with a slash as it is; else the
/// DT_RPATH of the object and of those that loaded it (when it has no
/// DT_RUNPATH), LD_LIBRARY_PATH, its DT_RUNPATH, /etc/ld.so.cache, and the
/// default directories; `$ORIGIN` is the directory of the object the path
/// list belongs to. A candidate built for another machine is passed over.
public struct DependencyResolver {
    public let libraryPath: [String]
    public let cache: LoaderCache
    public static let defaultDirectories = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"]

    /// A resolver for an environment's LD_LIBRARY_PATH (as the loader reads it: colons or semicolons).
    public init(libraryPath: String?, cache: LoaderCache = LoaderCache()) {
        self.libraryPath = (libraryPath ?? "").split(whereSeparator: { $0 == ":" || $0 == ";" }).map(String.init)
        self.cache = cache
    }

    /// `roots` and every object they need, transitively, breadth first (as the
    /// loader orders them); the names no file was found for in `missing`.
    public func closure(of roots: [ELFFile]) -> (objects: [LoadedObject], missing: [String]) {
        var objects = roots.map { LoadedObject(name: $0.path, file: $0) }
        var loadedNames = Set(roots.compactMap(\.soname))
        var loadedPaths = Set(roots.map { realPath($0.path) })
        var missing: [String] = []
        // Each object with the chain of objects that loaded it (for DT_RPATH's inheritance).
        var queue: [(file: ELFFile, loaders: [ELFFile])] = roots.map { ($0, []) }
        var next = 0
        while next < queue.count {
            let (file, loaders) = queue[next]
            next += 1
            for name in file.needed where !loadedNames.contains(name) {
                guard let found = find(name, neededBy: file, loaders: loaders) else {
                    if !missing.contains(name) { missing.append(name) }
                    continue
                }
                loadedNames.insert(name)
                if let soname = found.soname { loadedNames.insert(soname) }
                let path = realPath(found.path)
                guard loadedPaths.insert(path).inserted else { continue }
                objects.append(LoadedObject(name: name, file: found))
                queue.append((found, loaders + [file]))
            }
        }
        return (objects, missing)
    }

    /// The file the loader would take for `name`, needed by `file`.
    func find(_ name: String, neededBy file: ELFFile, loaders: [ELFFile]) -> ELFFile? {
        if name.contains("/") { return candidate(name, machine: file.machine) }
        var directories: [String] = []
        if file.runpath == nil {
            for object in [file] + loaders.reversed() where object.runpath == nil {
                directories += expand(object.rpath, origin: object)
            }
        }
        directories += libraryPath
        directories += expand(file.runpath, origin: file)
        for directory in directories {
            if let found = candidate(directory + "/" + name, machine: file.machine) { return found }
        }
        if let cached = cache.libraries[name], let found = candidate(cached, machine: file.machine) { return found }
        for directory in Self.defaultDirectories {
            if let found = candidate(directory + "/" + name, machine: file.machine) { return found }
        }
        return nil
    }

    private func candidate(_ path: String, machine: UInt16) -> ELFFile? {
        guard access(path, R_OK) == 0, let file = ELFFile(path: path), file.machine == machine else { return nil }
        return file
    }

    /// A DT_RPATH or DT_RUNPATH list with $ORIGIN (or ${ORIGIN}) replaced by the directory of `origin`.
    private func expand(_ list: String?, origin: ELFFile) -> [String] {
        guard let list else { return [] }
        let directory = Path.directory(of: realPath(origin.path))
        return list.split(separator: ":").map { item in
            String(item).replacing("${ORIGIN}", with: directory).replacing("$ORIGIN", with: directory)
        }
    }
}

/// The canonical path of `path` (symbolic links followed), or `path` itself.
func realPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
}
