/// Color scales and the categorical palette of plots.
public enum Colormap: String, Sendable, CaseIterable {
    /// Perceptually uniform dark purple -> teal -> yellow (matplotlib's default).
    case viridis
    /// Black -> white.
    case gray
    /// Blue -> white -> red, for signed values.
    case coolwarm

    /// The color at `t` in [0, 1] (clamped; NaN gives light gray).
    func color(_ t: Double) -> RGB {
        guard !t.isNaN else { return RGB(220, 220, 220) }
        let stops: [RGB]
        switch self {
        case .viridis: stops = Colormap.viridisStops
        case .gray: stops = [.black, .white]
        case .coolwarm: stops = [RGB(hex: 0x3B4CC0), RGB(hex: 0xDDDDDD), RGB(hex: 0xB40426)]
        }
        let x = Swift.max(0, Swift.min(1, t)) * Double(stops.count - 1)
        let i = Swift.min(Int(x), stops.count - 2)
        return stops[i].mixed(with: stops[i + 1], x - Double(i))
    }

    /// viridis sampled at 0, 1/8, ..., 1.
    private static let viridisStops: [RGB] = [0x440154, 0x472C7A, 0x3B528B, 0x2C728E, 0x21918C, 0x28AE80,
                                              0x5EC962, 0xADDC30, 0xFDE725].map { RGB(hex: $0) }

    /// Distinct colors for series and classes (matplotlib's tab10), cycling.
    static func category(_ i: Int) -> RGB {
        palette[((i % palette.count) + palette.count) % palette.count]
    }

    private static let palette: [RGB] = [0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD, 0x8C564B, 0xE377C2,
                                         0x7F7F7F, 0xBCBD22, 0x17BECF].map { RGB(hex: $0) }
}
