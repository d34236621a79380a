import CBLAS
import Synchronization

/// OpenBLAS's thread count is process state; every gemm call site goes through here so it is
/// managed in one place. Small products run on one BLAS thread (OpenBLAS's threads spin and
/// yield around them); large ones on all cores; kernels that already split work over our own
/// threads (convolutions over batch items) pin BLAS to one thread while they run.
enum BlasThreads {
    /// Products below this many flops run on one BLAS thread.
    static let threadedFlops = 8 * 1024 * 1024
    /// Threads OpenBLAS was started with.
    static let configured = Swift.max(1, openblas_get_num_threads())
    private static let current = Atomic<Int32>(-1)
    private static let pinnedUsers = Atomic<Int>(0)

    /// Chooses the thread count for one product of `flops` (a no-op while pinned or unchanged).
    static func use(forFlops flops: Int) {
        if pinnedUsers.load(ordering: .acquiring) > 0 { return }
        set(flops >= threadedFlops ? configured : 1)
    }

    private static func set(_ threads: Int32) {
        if current.exchange(threads, ordering: .acquiringAndReleasing) != threads {
            openblas_set_num_threads(threads)
        }
    }

    /// Runs `body` (which calls gemm from several of our threads) with BLAS on one thread. A
    /// concurrent large matmul elsewhere may meanwhile run single-threaded (slower, same result).
    static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        pinnedUsers.wrappingAdd(1, ordering: .sequentiallyConsistent)
        set(1)
        defer { pinnedUsers.wrappingSubtract(1, ordering: .sequentiallyConsistent) }
        return try body()
    }
}
