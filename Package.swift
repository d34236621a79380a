// swift-tools-version:6.0
// Lumen: a deep-learning workbench driven from Lua.
// Layers (one direction of dependency): Host -> Bindings -> Engine -> C shims.
import PackageDescription

let optimize: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "Lumen",
    products: [
        .executable(name: "lumen", targets: ["Host"]),
    ],
    dependencies: [
        // HTTP server for `lumen serve` (used only by the Serve target).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
    ],
    targets: [
        // C shims over Debian's system libraries (installed by `make deps`).
        .systemLibrary(name: "CLua", path: "Sources/CLua", pkgConfig: "lua5.4"),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas"),
        .target(name: "CReadline", path: "Sources/CReadline", linkerSettings: [.linkedLibrary("readline")]),

        .target(name: "CSupport", path: "Sources/CSupport"),

        // Pure Swift tensor engine: no Lua in here.
        .target(name: "Engine", dependencies: ["CBLAS", "CSupport"], swiftSettings: optimize),
        // The C side of the Lua boundary: trampolines that raise Lua errors after Swift returns.
        .target(name: "CLuaShim", dependencies: ["CLua"], path: "Sources/CLuaShim"),
        // Lua <-> Engine glue, plus the Lua standard library (nn, optim, ...) as resources.
        .target(name: "Bindings", dependencies: ["Engine", "CLua", "CLuaShim"], resources: [.copy("lua")]),
        // `lumen serve`: an HTTP inference server (Open Inference Protocol) over Bindings.
        .target(name: "Serve", dependencies: ["Bindings", "Engine", "CLua", "CLuaShim", .product(name: "Hummingbird", package: "hummingbird")]),
        // The `lumen` executable.
        .executableTarget(name: "Host", dependencies: ["Bindings", "Serve", "CReadline"]),

        // `make bench`: engine micro-benchmarks (never run by tests).
        .executableTarget(name: "EngineBench", dependencies: ["Engine", "CBLAS"], path: "bench/EngineBench",
                          swiftSettings: optimize),

        .testTarget(name: "EngineTests", dependencies: ["Engine"]),
        .testTarget(name: "BindingsTests", dependencies: ["Bindings", "Engine"]),
    ]
)
