// Lua <-> Engine bindings. Filled by the `lumen` host issue.
import Engine
