import CSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Process-wide count of bytes held by live tensor storages. The Lua bindings read it to drive
/// Lua's garbage collector, which cannot see the memory behind a tensor userdata.
public enum MemoryStats {
    private static let live = Atomic<Int>(0)
    private static let peak = Atomic<Int>(0)

    public static var liveBytes: Int { live.load(ordering: .relaxed) }
    public static var peakBytes: Int { peak.load(ordering: .relaxed) }

    static func allocated(_ bytes: Int) {
        let now = live.wrappingAdd(bytes, ordering: .relaxed).newValue
        var seen = peak.load(ordering: .relaxed)
        while now > seen {
            let (exchanged, original) = peak.compareExchange(expected: seen, desired: now, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }

    static func freed(_ bytes: Int) { live.wrappingSubtract(bytes, ordering: .relaxed) }
}

/// A reference-counted, 64-byte aligned buffer of `count` elements of one dtype. Views share it;
/// it is freed the moment its last tensor goes.
public final class Storage: @unchecked Sendable {
    public let dtype: DType
    /// Number of elements.
    public let count: Int
    public let bytes: UnsafeMutableRawPointer
    /// Bumped by in-place writes.
    public internal(set) var version = 0

    private var byteCount: Int { count * dtype.itemSize }

    /// Allocates `count` elements, zero-filled when `zeroed`. Throws instead of trapping when the
    /// size is negative, overflows, or the allocation fails.
    public init(count: Int, dtype: DType, zeroed: Bool = true) throws {
        guard count >= 0 else { throw EngineError("alloc", "negative element count \(count)") }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.itemSize)
        guard !overflow else { throw EngineError("alloc", "size overflows: \(count) elements of \(dtype)") }
        _ = Storage.allocatorTuned
        // Small buffers come from malloc (16-byte aligned, fastest); large ones 64-byte aligned.
        var raw: UnsafeMutableRawPointer? = nil
        if bytes <= 4096 { raw = malloc(max(bytes, 16)) }
        else if posix_memalign(&raw, 64, bytes) != 0 { raw = nil }
        guard let pointer = raw else {
            throw EngineError("alloc", "out of memory allocating \(bytes) bytes")
        }
        if zeroed { memset(pointer, 0, bytes) }
        self.bytes = pointer
        self.count = count
        self.dtype = dtype
        MemoryStats.allocated(bytes)
    }

    /// Keeps freed buffers in the heap instead of returning them to the OS: without this every
    /// large tensor is a fresh mmap whose pages fault in on first touch (10% of a 1024² matmul).
    private static let allocatorTuned: Bool = {
        lumen_tune_allocator()
        return true
    }()

    deinit {
        free(bytes)
        MemoryStats.freed(byteCount)
    }

    @inline(__always) func typed<T: Element>(_: T.Type) -> UnsafeMutablePointer<T> {
        bytes.assumingMemoryBound(to: T.self)
    }

    func bumpVersion() { version &+= 1 }
}
