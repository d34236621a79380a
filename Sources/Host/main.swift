// The `lumen` executable. The CLI and REPL arrive with the host issue.
print("lumen 0.1.0")
