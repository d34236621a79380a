import Dispatch
import Synchronization

/// Work splitting over the machine's cores. Chunk boundaries depend only on the problem size,
/// never on timing, so parallel reductions give the same bits on every run.
public enum Parallel {
    /// Elementwise work below this many elements stays on the calling thread.
    public static let elementwiseThreshold = 1 << 16
    /// Number of worker chunks used for large work (the machine has 2 cores).
    public static let workers = max(1, min(System.coreCount, 8))

    /// Splits `0..<count` into `workers` contiguous ranges and runs them concurrently.
    public static func forRanges(count: Int, _ body: (Range<Int>) -> Void) {
        let n = min(workers, count)
        if n <= 1 { body(0..<count); return }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: n) { i in
                let lo = count * i / n
                let hi = count * (i + 1) / n
                box.value(lo..<hi)
            }
        }
    }

    /// Runs `body(i)` for each of `count` independent tasks on all cores.
    public static func forEach(count: Int, _ body: (Int) -> Void) {
        if count <= 1 || workers == 1 { for i in 0..<count { body(i) }; return }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: count) { i in box.value(i) }
        }
    }
}

/// Lets a non-Sendable closure cross into `concurrentPerform`; callers guarantee the chunks
/// touch disjoint memory.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

enum System {
    static var coreCount: Int {
        #if canImport(Glibc)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 1
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Cooperative interruption (Ctrl-C). The host sets the flag; long kernels call `check` between
/// chunks and throw, so a running chunk stops without killing the process.
public enum Interrupt {
    private static let flag = Atomic<Bool>(false)
    public static func request() { flag.store(true, ordering: .relaxed) }
    public static func clear() { flag.store(false, ordering: .relaxed) }
    public static var isRequested: Bool { flag.load(ordering: .relaxed) }
    /// Throws `[op] interrupted` once a request is pending (and clears it).
    public static func check(_ op: String) throws {
        if flag.exchange(false, ordering: .relaxed) { throw EngineError(op, "interrupted") }
    }
}
