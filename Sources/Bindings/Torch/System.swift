import CLua
import Engine
import Foundation

/// Small host services the Lua library needs: file times (hot reload), directory listing
/// (test discovery), directory creation (output folders), a monotonic clock.
enum SystemBindings {
    static let bindings: [BindingEntry] = [
        BindingEntry(.namespace("lumen_internal", "mtime")) { lua in
            let path = try lua.string(1, "mtime", "path")
            var info = stat()
            if stat(path, &info) != 0 { lua.pushNil(); return 1 }
            lua.push(Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) * 1e-9)
            return 1
        },
        BindingEntry(.namespace("lumen_internal", "listdir")) { lua in
            let path = try lua.string(1, "listdir", "path")
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
                throw EngineError("listdir", "cannot read directory \(path)")
            }
            lua_createtable(lua.L, Int32(names.count), 0)
            for (k, name) in names.sorted().enumerated() {
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDirectory)
                lua.push(isDirectory.boolValue ? name + "/" : name)
                lua_rawseti(lua.L, -2, lua_Integer(k + 1))
            }
            return 1
        },
        BindingEntry(.namespace("lumen_internal", "clock")) { lua in
            var t = timespec()
            clock_gettime(CLOCK_MONOTONIC, &t)
            lua.push(Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9)
            return 1
        },
        BindingEntry(.namespace("lumen_internal", "mkdir")) { lua in
            // Creates a directory and its parents (like `mkdir -p`); an existing directory is fine.
            let path = try lua.string(1, "mkdir", "path")
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw EngineError("mkdir", "cannot create directory \(path): \(error.localizedDescription)")
            }
            return 0
        },
        BindingEntry(.namespace("lumen_internal", "isatty")) { lua in
            lua.push(isatty(Int32(try lua.integer(1, "isatty"))) != 0)
            return 1
        },
    ]
}
