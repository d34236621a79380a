#if canImport(Glibc)
import Glibc
#endif

/// Thin POSIX file access for serializers: positioned reads of regular files and atomic
/// whole-file writes. Errors are `EngineError(op, ...)` naming the path and the system's reason.
enum FileIO {
    static func systemError() -> String { String(cString: strerror(errno)) }

    /// An open regular file read with `pread`.
    final class Reader {
        let path: String
        let op: String
        /// Size in bytes when opened.
        let size: Int
        private let fd: Int32

        init(path: String, op: String) throws {
            self.path = path
            self.op = op
            // O_NONBLOCK: opening a FIFO must not hang before the regular-file check below.
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { throw EngineError(op, "cannot open \(path): \(FileIO.systemError())") }
            var info = stat()
            guard fstat(fd, &info) == 0 else {
                let reason = FileIO.systemError()
                close(fd)
                throw EngineError(op, "cannot stat \(path): \(reason)")
            }
            guard info.st_mode & S_IFMT == S_IFREG else {
                close(fd)
                throw EngineError(op, "\(path) is not a regular file")
            }
            self.fd = fd
            self.size = Int(info.st_size)
        }

        deinit { close(fd) }

        /// Reads exactly `count` bytes at byte `offset` into `buffer`.
        func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws {
            var done = 0
            while done < count {
                let n = pread(fd, buffer + done, count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw EngineError(op, "cannot read \(path): \(FileIO.systemError())")
                }
                guard n > 0 else { throw EngineError(op, "\(path) ended early (was it truncated while reading?)") }
                done += n
            }
        }

        /// `count` bytes at `offset` as an array.
        func bytes(count: Int, at offset: Int) throws -> [UInt8] {
            var out = [UInt8](repeating: 0, count: count)
            try out.withUnsafeMutableBytes { raw in
                if let base = raw.baseAddress { try read(into: base, count: count, at: offset) }
            }
            return out
        }
    }

    /// Sequential writes to an open file descriptor.
    struct Writer {
        fileprivate let fd: Int32
        let path: String
        let op: String

        /// Writes `count` bytes from `pointer`, retrying partial writes.
        func write(_ pointer: UnsafeRawPointer, count: Int) throws {
            var done = 0
            while done < count {
                let n = Glibc.write(fd, pointer + done, count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw EngineError(op, "cannot write \(path): \(FileIO.systemError())")
                }
                done += n
            }
        }

        func write(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { raw in
                if let base = raw.baseAddress { try write(base, count: raw.count) }
            }
        }
    }

    /// Creates `path` with the contents written by `body`, atomically: the data goes to a fresh
    /// temporary file in the same directory, is flushed to disk, then renamed over `path`. On any
    /// failure the temporary is removed and `path` is left as it was.
    static func writeAtomically(path: String, op: String, _ body: (Writer) throws -> Void) throws {
        guard !path.isEmpty else { throw EngineError(op, "cannot write to an empty path") }
        var suffix = SystemRandomNumberGenerator()
        let temp = "\(path).tmp-\(getpid())-\(String(suffix.next() & 0xFFFF_FFFF, radix: 16))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw EngineError(op, "cannot create \(path): \(systemError()) (while creating temporary file \(temp))")
        }
        var closed = false
        do {
            try body(Writer(fd: fd, path: path, op: op))
            guard fsync(fd) == 0 else { throw EngineError(op, "cannot flush \(path): \(systemError())") }
            closed = true
            guard close(fd) == 0 else { throw EngineError(op, "cannot close \(path): \(systemError())") }
            guard rename(temp, path) == 0 else {
                throw EngineError(op, "cannot write \(path): \(systemError()) (renaming \(temp) into place)")
            }
        } catch {
            if !closed { close(fd) }
            unlink(temp)
            throw error
        }
    }
}
