// GNU readline for the REPL: line editing, history, completion and Ctrl-C at the prompt.
#pragma once

/// Reads a line with `prompt`. Returns a malloc'd line (caller frees), or NULL on end of input
/// (Ctrl-D) or when Ctrl-C cleared the line (then *interrupted is set).
char *lumen_readline(const char *prompt, int *interrupted);

/// Called from the SIGINT handler when no chunk is running: abandons the line being edited.
void lumen_readline_interrupt(void);

/// History: load the file (creating it if missing), add a line (also appended to the file),
/// trim the file to `max_lines` entries.
void lumen_history_load(const char *path);
void lumen_history_add(const char *line, const char *path);
void lumen_history_trim(const char *path, int max_lines);

/// Completion: readline asks `provider(text)` for candidates, which calls back
/// `lumen_completion_add` for each one.
typedef void (*lumen_completion_provider)(const char *text);
void lumen_completion_install(lumen_completion_provider provider);
void lumen_completion_add(const char *candidate);
