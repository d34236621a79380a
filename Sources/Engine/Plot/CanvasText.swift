/// Text drawn with the built-in bitmap font, at integer scales.
extension Canvas {
    enum Align { case start, center, end }

    /// Width in pixels of `text` at `scale` (no trailing spacing).
    static func textWidth(_ text: String, scale: Int = 1) -> Int {
        let n = text.unicodeScalars.count
        return n == 0 ? 0 : (n * BitmapFont.cellWidth - 1) * scale
    }

    /// Height in pixels of one line at `scale`.
    static func textHeight(scale: Int = 1) -> Int { BitmapFont.glyphHeight * scale }

    /// Draws `text` horizontally; (x, y) is placed per `h` (left/center/right) and `v`
    /// (top/middle/bottom of the glyph box).
    mutating func text(_ text: String, _ x: Int, _ y: Int, scale: Int = 1, color: RGB = .black,
                       h: Align = .start, v: Align = .start) {
        let w = Canvas.textWidth(text, scale: scale), hgt = Canvas.textHeight(scale: scale)
        let left = h == .start ? x : h == .center ? x - w / 2 : x - w
        let top = v == .start ? y : v == .center ? y - hgt / 2 : y - hgt
        var cx = left
        for scalar in text.unicodeScalars {
            for (row, bits) in BitmapFont.rows(scalar).enumerated() where bits != 0 {
                for col in 0..<BitmapFont.glyphWidth where bits & (0x10 >> UInt8(col)) != 0 {
                    fillPixels(cx + col * scale, top + row * scale, cx + (col + 1) * scale, top + (row + 1) * scale, color)
                }
            }
            cx += BitmapFont.cellWidth * scale
        }
    }

    /// Draws `text` rotated 90° counter-clockwise (reading bottom to top), centered on (x, y).
    mutating func verticalText(_ text: String, _ x: Int, _ y: Int, scale: Int = 1, color: RGB = .black) {
        let w = Canvas.textWidth(text, scale: scale), hgt = Canvas.textHeight(scale: scale)
        // Glyph pixel (col, row) of the horizontal layout goes to (left + row, bottom - col).
        let left = x - hgt / 2, bottom = y + w / 2
        var cx = 0
        for scalar in text.unicodeScalars {
            for (row, bits) in BitmapFont.rows(scalar).enumerated() where bits != 0 {
                for col in 0..<BitmapFont.glyphWidth where bits & (0x10 >> UInt8(col)) != 0 {
                    let px = left + row * scale, py = bottom - (cx + (col + 1) * scale)
                    fillPixels(px, py, px + scale, py + scale, color)
                }
            }
            cx += BitmapFont.cellWidth * scale
        }
    }

    /// `text` shortened with ".." to fit `maxWidth` pixels at `scale`.
    static func fitted(_ text: String, maxWidth: Int, scale: Int = 1) -> String {
        if textWidth(text, scale: scale) <= maxWidth { return text }
        var chars = Array(text.unicodeScalars)
        while !chars.isEmpty && textWidth(String(String.UnicodeScalarView(chars)) + "..", scale: scale) > maxWidth {
            chars.removeLast()
        }
        return chars.isEmpty ? "" : String(String.UnicodeScalarView(chars)) + ".."
    }
}
