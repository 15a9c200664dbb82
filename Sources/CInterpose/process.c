/*
 * Processes: identities, fork (and vfork, done as fork), the exec family, posix_spawn,
 * system, the wait family, exit.
 *
 * fork, posix_spawn and exit are release-like: the number is taken before the effect, and the
 * new process's logical id is the fork's number (R3). exec publishes before it replaces the
 * image (it does not return on success) and passes the layer, the region and the logical id on
 * in the new environment, even when the program passes an environment of its own. Waits are
 * acquire-like.
 *
 * At replay, identities and pids are the recorded ones: fork returns the recorded child pid, and
 * the wait family maps it to the real child (repl_real_child) to reap it, returning the
 * recorded pid and status.
 */
#include "interpose.h"

#include <alloca.h>
#include <fcntl.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---- the children of this process at replay: recorded pid -> real pid ------------------- */

/* The live ones: a child is forgotten once it is reaped, so a server that forks a child per
 * connection never fills the table. */
#define CHILD_LIMIT 1024
static struct { pid_t recorded, real; } children[CHILD_LIMIT];
static int child_count;

void repl_remember_child(pid_t recorded, pid_t real) {
    for (int i = 0; i < child_count; i++)
        if (children[i].recorded == recorded) {
            children[i].real = real;
            return;
        }
    /* Forgetting one would send its signals nowhere, silently: the replay stops instead. */
    if (child_count == CHILD_LIMIT) repl_fail_stop("more than 1024 children alive at once in one process");
    children[child_count++] = (__typeof__(children[0])){recorded, real};
}

static void forget_child(pid_t recorded) {
    for (int i = 0; i < child_count; i++)
        if (children[i].recorded == recorded) {
            children[i] = children[--child_count];
            return;
        }
}

pid_t repl_real_child(pid_t recorded) {
    for (int i = 0; i < child_count; i++)
        if (children[i].recorded == recorded) return children[i].real;
    return 0;
}

pid_t repl_recorded_child(pid_t real) {
    for (int i = 0; i < child_count; i++)
        if (children[i].real == real) return children[i].recorded;
    return 0;
}

/* ---- identities ------------------------------------------------------------------------ */

pid_t repl_recorded_pid;
REPL_TLS pid_t repl_recorded_tid;

/* The recorded id at replay (kept in `learnt`, when given); the kernel's, recorded, otherwise. */
#define IDENTITY(kind, number, learnt)                                                       \
    if (repl_replaying()) {                                                                  \
        int64_t recorded_;                                                                   \
        if (repl_replay_outcome(kind, 0, true, NULL, 0, &recorded_)) return learnt (pid_t)recorded_; \
    }                                                                                        \
    pid_t result = (pid_t)repl_syscall(number);                                              \
    if (repl_active()) repl_record(kind, 0, result, 0, NULL, 0);                             \
    return result

REPL_EXPORT pid_t getpid(void) { IDENTITY(REPL_GETPID, SYS_getpid, repl_recorded_pid =); }
REPL_EXPORT pid_t getppid(void) { IDENTITY(REPL_GETPPID, SYS_getppid, ); }
REPL_EXPORT pid_t gettid(void) { IDENTITY(REPL_GETTID, SYS_gettid, repl_recorded_tid =); }

/* ---- fork ------------------------------------------------------------------------------ */

/* The number pthread_atfork's prepare handler took for the fork under way, and whether the fork
 * wrapper (which knows the child's pid) publishes it. The handlers also see forks made inside
 * libc (daemon()). */
static REPL_TLS uint64_t fork_sequence;
static REPL_TLS bool in_fork_wrapper;

/* Release-like: the number is taken before the child exists; the child's logical id is it (R3). */
void repl_fork_prepare(void) {
    if (repl_active()) fork_sequence = repl_take(REPL_FORK);
}

void repl_fork_parent(void) {
    if (!fork_sequence || in_fork_wrapper) return;  /* the wrapper publishes the pid */
    REPL_GUARD();
    repl_publish(fork_sequence, REPL_FORK, 0, 0, 0, NULL, 0);
    fork_sequence = 0;
}

void repl_fork_child(void) {
    if (!fork_sequence) return;
    repl_process = (uint32_t)fork_sequence;
    repl_self.thread = 0;
    repl_self.area = REPL_NO_AREA;  /* the parent's thread keeps using its area */
    fork_sequence = 0;
    atomic_fetch_add_explicit(&repl_region->processes_started, 1, memory_order_relaxed);
}

REPL_EXPORT pid_t fork(void) {
    ENSURE(fork);
    if (repl_replaying()) {
        REPL_GUARD();
        repl_slot *slot = repl_turn(REPL_FORK, 0, true);
        if (slot) {
            uint64_t sequence = repl_turn_sequence(slot);
            pid_t recorded = (pid_t)slot->call.result;
            int error = slot->call.error;
            pid_t real = recorded < 0 ? -1 : repl_real.fork();
            if (real == 0) {  /* the child: its logical id is the fork's number; the parent completes the turn */
                repl_process = (uint32_t)sequence;
                repl_self.thread = 0;
                repl_recorded_pid = repl_recorded_tid = recorded;
                return 0;  /* leaving the guard leaves the layer, as in the parent */
            }
            if (real > 0) repl_remember_child(recorded, real);
            repl_turn_done(slot);
            if (recorded < 0) errno = error;
            return recorded;
        }
    }
    if (!repl_active()) return repl_real.fork();
    in_fork_wrapper = true;
    pid_t result = repl_real.fork();  /* the prepare handler takes the number */
    int error = errno;
    in_fork_wrapper = false;
    if (result != 0 && fork_sequence) {
        REPL_GUARD();
        repl_publish(fork_sequence, REPL_FORK, 0, result, result < 0 ? error : 0, NULL, 0);
        fork_sequence = 0;
    }
    errno = error;
    return result;
}

/* A vfork child shares its parent's memory (and this layer's state) until it execs: the layer
 * cannot run safely there, so vfork is a fork, which POSIX allows. */
REPL_EXPORT pid_t vfork(void) { return fork(); }

/* ---- exec ------------------------------------------------------------------------------ */

/* An exec message's resource: 0, or this when the new image is statically linked. */
#define EXEC_OF_STATIC_PROGRAM 2

/* Whether `path` is an ELF executable without a program interpreter: no loader runs in it, so
 * neither does the layer. Scripts and anything unreadable are left to the kernel (false). */
static bool is_static_program(const char *path) {
    long fd = repl_syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) return false;
    unsigned char header[64];
    bool is_static = false;
    if (repl_syscall(SYS_pread64, fd, header, sizeof header, 0) == (long)sizeof header &&
        memcmp(header, "\177ELF\2\1", 6) == 0) {
        uint64_t table;
        uint16_t entry_size, count;
        memcpy(&table, header + 32, sizeof table);
        memcpy(&entry_size, header + 54, sizeof entry_size);
        memcpy(&count, header + 56, sizeof count);
        is_static = entry_size >= 4 && count > 0 && count <= 128;
        for (uint16_t i = 0; is_static && i < count; i++) {
            uint32_t type = 0;
            if (repl_syscall(SYS_pread64, fd, &type, sizeof type, table + (uint64_t)i * entry_size) != (long)sizeof type)
                is_static = false;
            else if (type == 3) /* PT_INTERP */
                is_static = false;
        }
    }
    repl_syscall(SYS_close, fd);
    return is_static;
}

/* Where execvp would find `file` in PATH (its own copy when it holds a slash), in `out`. */
static const char *search_path(const char *file, char *out, size_t size) {
    if (!file || strchr(file, '/')) return file;
    const char *path = getenv("PATH");
    for (const char *start = path ? path : "/bin:/usr/bin"; *start;) {
        const char *end = strchr(start, ':');
        size_t length = end ? (size_t)(end - start) : strlen(start);
        if (snprintf(out, size, "%.*s%s%s", (int)length, start, length ? "/" : "", file) < (int)size &&
            repl_syscall(SYS_access, out, X_OK) == 0)
            return out;
        start = end ? end + 1 : start + length;
    }
    return file;
}

/* Record: whether the program an exec or spawn starts (`file` searched in PATH when `search`)
 * is statically linked, said on standard error when it is. */
static bool starts_static_program(const char *file, bool search) {
    char found[4096];
    const char *program = search ? search_path(file, found, sizeof found) : file;
    if (!program || !is_static_program(program)) return false;
    char line[4200];
    if (snprintf(line, sizeof line, "replrec: warning: %s is statically linked: the interception layer cannot "
                 "follow it, what it does is not recorded, and a replay stops here\n", program) > 0)
        repl_say(line);
    return true;
}

/* Replay: the recording started a program the layer could not follow; run for real, it would
 * act outside the recording. */
static void stop_before_static_program(repl_slot *slot) {
    repl_say("replplay: the recording ran a statically linked program here, which it could not follow; "
             "the replay stops before it\n");
    repl_diverge(slot, slot->call.kind, slot->call.resource);
}

static void record_exec(const char *path, bool search) {
    uint64_t resource = starts_static_program(path, search) ? EXEC_OF_STATIC_PROGRAM : 0;
    REPL_GUARD();
    uint64_t sequence = repl_take(REPL_EXEC);
    struct repl_piece piece = {path, path ? strlen(path) : 0};
    repl_publish(sequence, REPL_EXEC, resource, 0, 0, &piece, 1);
}

static void record_exec_failure(int error) {
    if (repl_replaying()) {  /* the recorded exec failed too: its second message */
        int64_t recorded;
        repl_replay_outcome(REPL_EXEC, 1, true, NULL, 0, &recorded);
    } else {
        repl_record(REPL_EXEC, 1, -1, error, NULL, 0);
    }
    errno = error;
}

/* Takes the exec's turn at replay, records it otherwise (`search`: the program is looked up in
 * PATH, as execvp does). */
static void number_exec(const char *path, bool search) {
    repl_note_objects();  /* those loaded since the process started */
    repl_note_uncovered();
    if (repl_replaying()) {
        REPL_GUARD();
        repl_slot *slot = repl_turn(REPL_EXEC, 0, false);
        if (slot && slot->call.resource == EXEC_OF_STATIC_PROGRAM) stop_before_static_program(slot);
        if (slot) repl_turn_done(slot);
        return;
    }
    record_exec(path, search);
}

/* Whether an exec is numbered and given the layer's environment. */
static bool exec_seen(void) {
    return repl_active() || repl_replaying();
}

/* An exec the layer sees: numbered before the image is replaced (it does not return on
 * success), run with the layer's environment, and its failure numbered too. `run` is the real
 * call with `environment_` as its environment. */
#define EXEC_SEEN(name, logged_path, searched, envp, run)                                    \
    ENSURE(name);                                                                            \
    if (exec_seen()) {                                                                       \
        char **layer_environment_ = repl_exec_environment(envp, repl_process);               \
        char *const *environment_ = layer_environment_ ? layer_environment_ : (envp);        \
        number_exec(logged_path, searched);                                                  \
        (void)(run);                                                                         \
        int error_ = errno;                                                                  \
        repl_free_environment(layer_environment_);                                           \
        record_exec_failure(error_);                                                         \
        return -1;                                                                           \
    }

REPL_EXPORT int execve(const char *path, char *const argv[], char *const envp[]) {
    EXEC_SEEN(execve, path, false, envp, repl_real.execve(path, argv, environment_));
    return repl_real.execve(path, argv, envp);
}

REPL_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags) {
    EXEC_SEEN(execveat, path, false, envp, repl_real.execveat(dirfd, path, argv, environment_, flags));
    return repl_real.execveat(dirfd, path, argv, envp, flags);
}

REPL_EXPORT int fexecve(int fd, char *const argv[], char *const envp[]) {
    EXEC_SEEN(fexecve, "", false, envp, repl_real.fexecve(fd, argv, environment_));
    return repl_real.fexecve(fd, argv, envp);
}

REPL_EXPORT int execv(const char *path, char *const argv[]) { return execve(path, argv, environ); }

/* execvp and execvpe search PATH inside libc, which calls its own execve: wrap them whole. */
REPL_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[]) {
    EXEC_SEEN(execvpe, file, true, envp, repl_real.execvpe(file, argv, environment_));
    return repl_real.execvpe(file, argv, envp);
}

REPL_EXPORT int execvp(const char *file, char *const argv[]) { return execvpe(file, argv, environ); }

/* The list forms: collect the arguments, then the vector forms above. */
#define COLLECT_ARGUMENTS(first, last_named)                                                 \
    size_t count = 1;                                                                        \
    va_list args;                                                                            \
    va_start(args, last_named);                                                              \
    while (va_arg(args, char *)) count++;                                                    \
    va_end(args);                                                                            \
    char **argv = alloca((count + 1) * sizeof(char *));                                      \
    argv[0] = (char *)(first);                                                               \
    va_start(args, last_named);                                                              \
    for (size_t i = 1; i <= count; i++) argv[i] = va_arg(args, char *);

REPL_EXPORT int execl(const char *path, const char *arg, ...) {
    COLLECT_ARGUMENTS(arg, arg);
    va_end(args);
    return execve(path, argv, environ);
}

REPL_EXPORT int execlp(const char *file, const char *arg, ...) {
    COLLECT_ARGUMENTS(arg, arg);
    va_end(args);
    return execvpe(file, argv, environ);
}

REPL_EXPORT int execle(const char *path, const char *arg, ...) {
    COLLECT_ARGUMENTS(arg, arg);
    char *const *envp = va_arg(args, char *const *);
    va_end(args);
    return execve(path, argv, envp);
}

/* ---- posix_spawn and system: children made inside libc, without the exported fork --------- */

/* A fork message's resource for a spawn, and for a spawn of a statically linked program. */
#define SPAWN 1
#define SPAWN_OF_STATIC_PROGRAM 3

static int spawn(bool search, pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                 const posix_spawnattr_t *attributes, char *const argv[], char *const envp[]) {
    int (*real)(pid_t *, const char *, const void *, const void *, char *const[], char *const[]) =
        search ? repl_real.posix_spawnp : repl_real.posix_spawn;
    if (repl_replaying()) {
        REPL_GUARD();
        repl_slot *slot = repl_turn(REPL_FORK, SPAWN, false);
        if (slot && slot->call.resource == SPAWN_OF_STATIC_PROGRAM) stop_before_static_program(slot);
        if (slot && slot->call.resource != SPAWN) repl_diverge(slot, REPL_FORK, SPAWN);
        if (slot) {
            uint64_t sequence = repl_turn_sequence(slot);
            pid_t recorded = (pid_t)slot->call.result;
            int result = slot->call.error;
            if (recorded > 0) {
                char **environment = repl_exec_environment(envp ? envp : environ, (uint32_t)sequence);
                pid_t child = 0;
                if (real(&child, path, actions, attributes, argv, environment ? environment : envp) == 0)
                    repl_remember_child(recorded, child);
                repl_free_environment(environment);
                if (pid) *pid = recorded;
            }
            repl_turn_done(slot);
            return result;
        }
    }
    if (!repl_active()) return real(pid, path, actions, attributes, argv, envp);
    pid_t child = 0;
    uint64_t resource = starts_static_program(path, search) ? SPAWN_OF_STATIC_PROGRAM : SPAWN;
    REPL_GUARD();
    uint64_t sequence = repl_take(REPL_FORK);  /* release-like; the child's logical id */
    char **environment = repl_exec_environment(envp ? envp : environ, (uint32_t)sequence);
    int result = real(&child, path, actions, attributes, argv, environment ? environment : envp);
    repl_free_environment(environment);
    repl_publish(sequence, REPL_FORK, resource, result == 0 ? child : -1, result, NULL, 0);
    if (pid && result == 0) *pid = child;
    return result;
}

REPL_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                            const posix_spawnattr_t *attributes, char *const argv[], char *const envp[]) {
    ENSURE(posix_spawn);
    return spawn(false, pid, path, actions, attributes, argv, envp);
}

REPL_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
                             const posix_spawnattr_t *attributes, char *const argv[], char *const envp[]) {
    ENSURE(posix_spawnp);
    return spawn(true, pid, file, actions, attributes, argv, envp);
}

/* system(3) as POSIX describes it, through the spawn and wait wrappers so that both are seen. */
REPL_EXPORT int system(const char *command) {
    ENSURE(system);
    if ((!repl_active() && !repl_replaying()) || command == NULL) return repl_real.system(command);

    struct sigaction ignore = {.sa_handler = SIG_IGN}, saved_int, saved_quit;
    sigset_t block, saved_mask;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGINT, &ignore, &saved_int);
    sigaction(SIGQUIT, &ignore, &saved_quit);
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &saved_mask);

    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t defaults;
    sigemptyset(&defaults);
    if (saved_int.sa_handler != SIG_IGN) sigaddset(&defaults, SIGINT);
    if (saved_quit.sa_handler != SIG_IGN) sigaddset(&defaults, SIGQUIT);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setsigmask(&attributes, &saved_mask);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    char *argv[] = {"sh", "-c", (char *)command, NULL};
    pid_t child;
    int status = -1;
    int error = posix_spawn(&child, "/bin/sh", NULL, &attributes, argv, environ);
    posix_spawnattr_destroy(&attributes);
    if (error == 0) {
        while (waitpid(child, &status, 0) < 0) {
            if (errno != EINTR) {
                status = -1;
                break;
            }
        }
    } else {
        status = 127 << 8;
    }
    sigaction(SIGINT, &saved_int, NULL);
    sigaction(SIGQUIT, &saved_quit, NULL);
    sigprocmask(SIG_SETMASK, &saved_mask, NULL);
    return status;
}

/* ---- wait ------------------------------------------------------------------------------ */

static void record_wait(pid_t result, const int *status) {
    int value = status && result > 0 ? *status : 0;
    repl_record(REPL_WAIT, 0, result, result < 0 ? errno : 0, &value, result > 0 ? sizeof value : 0);
}

/* Reaps the real child behind a recorded pid as the recording saw it end. A child the recording
 * saw killed by a signal gets that signal first: it came from outside the replayed order (the
 * kernel's SIGPIPE for a write whose reader had gone, a user's kill), and the replayed child has
 * made every call it made on the primary by now (the wait is numbered after the death). A
 * stopped or continued child is left as it is. */
static void reap_as_recorded(pid_t recorded, bool ended, int signal_number) {
    pid_t real = repl_real_child(recorded);
    if (real <= 0 || !ended) return;
    if (signal_number > 0) repl_syscall(SYS_kill, real, signal_number);
    repl_real.wait4(real, NULL, 0, NULL);
    forget_child(recorded);
}

/* Replays a wait: reaps the real child behind the recorded pid, returns the recorded pid and
 * status. False once promoted. */
static bool replay_wait(int *status, pid_t *result) {
    REPL_GUARD();
    repl_slot *slot = repl_turn(REPL_WAIT, 0, true);
    if (!slot) return false;
    int recorded_status = 0, error = slot->call.error;
    struct repl_piece piece = {&recorded_status, sizeof recorded_status};
    repl_turn_payload(slot, &piece, 1);
    *result = (pid_t)slot->call.result;
    if (*result > 0) {
        reap_as_recorded(*result, WIFEXITED(recorded_status) || WIFSIGNALED(recorded_status),
                         WIFSIGNALED(recorded_status) ? WTERMSIG(recorded_status) : 0);
        if (status) *status = recorded_status;
    }
    repl_turn_done(slot);
    if (error) errno = error;
    return true;
}

REPL_EXPORT pid_t wait(int *status) {
    ENSURE(wait4);
    pid_t result;
    if (repl_replaying() && replay_wait(status, &result)) return result;
    result = repl_real.wait4(-1, status, 0, NULL);
    if (repl_active()) record_wait(result, status);
    return result;
}

REPL_EXPORT pid_t waitpid(pid_t pid, int *status, int options) {
    ENSURE(waitpid);
    ENSURE(wait4);
    pid_t result;
    if (repl_replaying() && replay_wait(status, &result)) return result;
    result = repl_real.waitpid(pid, status, options);
    if (repl_active()) record_wait(result, status);
    return result;
}

REPL_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *usage) {
    ENSURE(wait4);
    pid_t result;
    if (repl_replaying() && replay_wait(status, &result)) return result;
    result = repl_real.wait4(pid, status, options, usage);
    if (repl_active()) record_wait(result, status);
    return result;
}

/* BSD's wait3 (shells use it): wait4 for any child. */
REPL_EXPORT pid_t wait3(int *status, int options, struct rusage *usage) {
    ENSURE(wait4);
    pid_t result;
    if (repl_replaying() && replay_wait(status, &result)) return result;
    result = repl_real.wait4(-1, status, options, usage);
    if (repl_active()) record_wait(result, status);
    return result;
}

REPL_EXPORT int waitid(idtype_t type, id_t id, siginfo_t *info, int options) {
    ENSURE(waitid);
    if (repl_replaying()) {
        REPL_GUARD();
        repl_slot *slot = repl_turn(REPL_WAIT, 1, true);
        if (slot) {
            siginfo_t recorded;
            memset(&recorded, 0, sizeof recorded);
            struct repl_piece piece = {&recorded, sizeof recorded};
            repl_turn_payload(slot, &piece, 1);
            int result = (int)slot->call.result, error = slot->call.error;
            bool killed = recorded.si_code == CLD_KILLED || recorded.si_code == CLD_DUMPED;
            if (result == 0 && recorded.si_pid > 0 && (options & WNOWAIT) == 0)  /* a later wait reaps */
                reap_as_recorded(recorded.si_pid, killed || recorded.si_code == CLD_EXITED, killed ? recorded.si_status : 0);
            if (info && result == 0) *info = recorded;
            repl_turn_done(slot);
            if (error) errno = error;
            return result;
        }
    }
    int result = repl_real.waitid(type, id, info, options);
    if (repl_active())
        repl_record(REPL_WAIT, 1, result, result < 0 ? errno : 0, info, result == 0 && info ? sizeof *info : 0);
    return result;
}

/* ---- exit ------------------------------------------------------------------------------ */

static void record_exit(int status) {
    repl_note_objects();
    repl_note_uncovered();
    if (repl_replaying()) {
        REPL_GUARD();
        repl_slot *slot = repl_turn(REPL_EXIT, 0, true);
        if (slot) repl_turn_done(slot);
        return;
    }
    if (!repl_active()) return;
    repl_record(REPL_EXIT, 0, status, 0, NULL, 0);
}

REPL_EXPORT void exit(int status) {
    ENSURE(exit);
    record_exit(status);
    repl_real.exit(status);
    __builtin_unreachable();
}

/* The end of a process that returned from main or called exit: its atexit handlers have run
 * (their calls took their turns); deliveries recorded after its last call take theirs here.
 * _exit runs no destructor, and needs none: no handler runs after its exit message unless the
 * signal came inside the layer, and then it is taken as the thread leaves record_exit. */
__attribute__((destructor)) static void take_final_signal_turns(void) {
    repl_take_final_signal_turns();
}

REPL_EXPORT void _exit(int status) {
    ENSURE(_exit);
    record_exit(status);
    repl_real._exit(status);
    __builtin_unreachable();
}
