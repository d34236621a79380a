#include "lumen_readline.h"
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <readline/readline.h>
#include <readline/history.h>

static sigjmp_buf prompt_jump;
static volatile sig_atomic_t at_prompt = 0;

char *lumen_readline(const char *prompt, int *interrupted) {
    *interrupted = 0;
    rl_catch_signals = 0;  // Lumen's own SIGINT handler decides what Ctrl-C means.
    if (sigsetjmp(prompt_jump, 1) != 0) {
        at_prompt = 0;
        rl_free_line_state();
        rl_cleanup_after_signal();
        fputs("^C\n", stdout);
        fflush(stdout);
        *interrupted = 1;
        return NULL;
    }
    at_prompt = 1;
    char *line = readline(prompt);
    at_prompt = 0;
    return line;
}

void lumen_readline_interrupt(void) {
    if (at_prompt) siglongjmp(prompt_jump, 1);  // only C frames (readline) lie in between
}

void lumen_history_load(const char *path) {
    FILE *f = fopen(path, "a");  // create if missing
    if (f) fclose(f);
    read_history(path);
}

void lumen_history_add(const char *line, const char *path) {
    add_history(line);
    append_history(1, path);
}

void lumen_history_trim(const char *path, int max_lines) { history_truncate_file(path, max_lines); }

// ---- completion ----------------------------------------------------------------------------

static lumen_completion_provider provider = 0;
static char **candidates = 0;
static int candidate_count = 0, candidate_capacity = 0, candidate_next = 0;

void lumen_completion_add(const char *candidate) {
    if (candidate_count == candidate_capacity) {
        int capacity = candidate_capacity ? candidate_capacity * 2 : 32;
        char **grown = realloc(candidates, sizeof(char *) * capacity);
        if (!grown) return;
        candidates = grown;
        candidate_capacity = capacity;
    }
    candidates[candidate_count++] = strdup(candidate);
}

static char *generator(const char *text, int state) {
    (void)text;
    if (state == 0) candidate_next = 0;
    if (candidate_next < candidate_count) return strdup(candidates[candidate_next++]);
    return NULL;
}

static char **attempt(const char *text, int start, int end) {
    (void)start; (void)end;
    for (int i = 0; i < candidate_count; i++) free(candidates[i]);
    candidate_count = 0;
    rl_attempted_completion_over = 1;  // no filename completion
    if (provider) provider(text);
    return rl_completion_matches(text, generator);
}

void lumen_completion_install(lumen_completion_provider p) {
    provider = p;
    rl_attempted_completion_function = attempt;
    rl_basic_word_break_characters = " \t\n\"\\'`@$><=;|&{(,+-*/^%[]~#";
    rl_completion_append_character = '\0';
    rl_variable_bind("show-all-if-ambiguous", "on");  // list candidates on the first Tab
}
