/*
 * The layer's environment variables (REPLREC_*, and the layer in LD_PRELOAD). At attach they are
 * removed from what the program sees, so that it sees the environment it was given (and the
 * log records); an exec or spawn puts them back for the next image, with the new image's
 * logical process id, even when the program passes an environment of its own.
 *
 * Hiding runs at attach and uses no heap; building an exec environment runs in the exec or
 * spawn wrapper and allocates (the image is replaced, or the array freed, right after).
 */
#include "interpose.h"

#include <stdlib.h>
#include <string.h>

struct repl_layer_environment repl_environment;

static bool has_prefix(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

#define PRELOAD "LD_PRELOAD="

/* Writes LD_PRELOAD's value without `layer` into `out`; false when nothing is left. */
static bool preload_without(const char *list, const char *layer, char *out, size_t size) {
    size_t used = (size_t)snprintf(out, size, PRELOAD);
    bool any = false;
    for (const char *start = list; *start;) {
        const char *end = strchr(start, ':');
        size_t length = end ? (size_t)(end - start) : strlen(start);
        bool is_layer = length == strlen(layer) && strncmp(start, layer, length) == 0;
        if (length && !is_layer && used + length + 2 < size) {
            used += (size_t)snprintf(out + used, size - used, "%s%.*s", any ? ":" : "", (int)length, start);
            any = true;
        }
        start = end ? end + 1 : start + length;
    }
    return any;
}

void repl_hide_layer(char **environment, struct repl_layer_environment *kept, char *preload, size_t preload_size) {
    size_t out = 0;
    for (size_t in = 0; environment && environment[in]; in++) {
        char *entry = environment[in];
        if (has_prefix(entry, "REPLREC_")) {
            if (kept->count < REPL_LAYER_VARIABLES) kept->variables[kept->count++] = entry;
            continue;
        }
        if (has_prefix(entry, PRELOAD)) {  /* keep what the user preloaded, in order */
            if (!preload_without(entry + strlen(PRELOAD), kept->layer_path, preload, preload_size)) continue;
            entry = preload;
        }
        environment[out++] = entry;
    }
    if (environment) environment[out] = NULL;
}

const char *repl_layer_variable(const struct repl_layer_environment *kept, const char *name) {
    size_t length = strlen(name);
    for (int i = 0; i < kept->count; i++)
        if (strncmp(kept->variables[i], name, length) == 0 && kept->variables[i][length] == '=')
            return kept->variables[i] + length + 1;
    return NULL;
}

/* "LD_PRELOAD=" with the layer first, unless the program's list already holds it. */
static char *preload_with_layer(const char *preload, const char *layer) {
    char *line = NULL;
    int n;
    if (preload && strstr(preload, layer)) n = asprintf(&line, PRELOAD "%s", preload);
    else if (preload && *preload) n = asprintf(&line, PRELOAD "%s:%s", layer, preload);
    else n = asprintf(&line, PRELOAD "%s", layer);
    return n >= 0 ? line : NULL;
}

char **repl_build_environment(char *const envp[], const struct repl_layer_environment *kept, uint32_t process) {
    size_t count = 0;
    while (envp && envp[count]) count++;
    char **out = calloc(count + (size_t)kept->count + 3, sizeof(char *));
    if (!out) return NULL;
    size_t n = 0;
    const char *preload = NULL;
    for (size_t i = 0; i < count; i++) {
        if (has_prefix(envp[i], "REPLREC_")) continue;
        if (has_prefix(envp[i], PRELOAD)) preload = envp[i] + strlen(PRELOAD);
        else out[n++] = strdup(envp[i]);
    }
    char *line = preload_with_layer(preload, kept->layer_path);
    if (line) out[n++] = line;
    for (int i = 0; i < kept->count; i++)
        if (!has_prefix(kept->variables[i], REPL_ENV_PROCESS "=")) out[n++] = strdup(kept->variables[i]);
    if (asprintf(&line, "%s=%u", REPL_ENV_PROCESS, process) >= 0) out[n++] = line;
    out[n] = NULL;
    return out;
}

char **repl_exec_environment(char *const envp[], uint32_t process) {
    return repl_build_environment(envp, &repl_environment, process);
}

void repl_free_environment(char **envp) {
    if (!envp) return;
    for (size_t i = 0; envp[i]; i++) free(envp[i]);
    free(envp);
}
