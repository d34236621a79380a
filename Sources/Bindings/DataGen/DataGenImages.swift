import CLua
import Engine

/// `data.die_images{n=, size=, seed=, max_objects=}`.
enum DataGenImages {
    static let bindings: [BindingEntry] = [
        DataGenBindings.entry("die_images") { lua in
            let op = "die_images"
            let o = try DataGenOptions(lua, op, allowed: ["n", "size", "seed", "max_objects"])
            var options = DieImageOptions()
            options.count = try o.integer("n", 200)
            options.size = try o.integer("size", 64)
            options.maxObjects = try o.integer("max_objects", 4)
            options.seed = try o.seed()
            let set = try DieImages.generate(options)
            DataGenOut.table(lua, fields: 4)
            DataGenOut.set(lua, "images") { lua.push(set.images) }
            DataGenOut.set(lua, "boxes") {
                DataGenOut.boxes(lua, set.boxes) { (x1: $0.x1, y1: $0.y1, x2: $0.x2, y2: $0.y2, label: $0.label) }
            }
            DataGenOut.set(lua, "labels") {
                DataGenOut.table(lua, array: set.boxes.count)
                for (i, list) in set.boxes.enumerated() { DataGenOut.set(lua, i + 1) { lua.push(list.map { $0.label + 1 }) } }
            }
            DataGenOut.set(lua, "classes") { DataGenOut.strings(lua, DieImages.classes) }
            return 1
        },
    ]
}
