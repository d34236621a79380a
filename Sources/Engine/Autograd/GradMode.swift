#if canImport(Glibc)
import Glibc
#endif

/// Whether ops record the graph, per thread (PyTorch's grad mode). Each Lua state runs on one
/// thread, so a `no_grad` block in one server worker does not affect another.
public enum GradMode {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
    /// Any non-nil value stored under the key means "disabled".
    private static var disabledMarker: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: 1) }

    public static var isEnabled: Bool { pthread_getspecific(key) == nil }

    public static func setEnabled(_ enabled: Bool) {
        pthread_setspecific(key, enabled ? nil : disabledMarker)
    }

    /// Runs `body` with recording off, restoring the previous mode after (also on throw).
    public static func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
        let previous = isEnabled
        setEnabled(false)
        defer { setEnabled(previous) }
        return try body()
    }
}
