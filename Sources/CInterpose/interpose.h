/*
 * Internal header of the interception layer (libreplintercept.so).
 *
 * Rules of the layer (the compiler enforces those marked *):
 *  - Every exported symbol is an interposed libc/libpthread function; everything else is static
 *    or hidden (built with -fvisibility=hidden, exports marked REPL_EXPORT).
 *  - The real functions come from one table, repl_real (real.h), resolved once (attach.c).
 *  - * The layer's own system calls go through repl_syscall (raw.h), never `syscall`, which is
 *    the layer's own export.
 *  - * No heap in the files that run at attach or on the hot path (attach.c, record.c,
 *    replay.c, commit.c, descriptors.c): the first call may come from inside the program's
 *    allocator, and the layer must not change the program's allocations.
 *  - Inside the layer (REPL_GUARD), intercepted calls go straight to the real function and
 *    signals wait until the thread leaves it.
 *  - Ordering (R1): acquire-like calls (locks, waits, reads, clocks, random) perform their real
 *    effect, then take their sequence number and publish. Release-like calls that cannot block
 *    (sem_post, thread creation, fork, exit, exec, close) take their number before their effect
 *    and publish right after it. Writes to pipes and sockets can block for as long as their
 *    reader likes, so they are numbered after their effect: a thread never holds an unpublished
 *    number while it waits on another program thread, which would stall the recorder (and,
 *    through the bounded ring and payload areas, the whole program). Both ends of an
 *    in-recording channel are virtualised at replay, so their relative order carries no real
 *    dependency.
 *
 * Files: attach.c (the real table, attaching to the region), record.c (the record side of the
 * ring), replay.c (the replay side: turns), commit.c (output commit), descriptors.c (which
 * descriptors are recorded, inherited outputs), environment.c (the layer's variables, exec
 * environments); then one file per family of wrappers: sync.c, time.c, io.c, transfer.c, fd.c,
 * names.c, dir.c, lock.c, net.c, process.c, signal.c, kill.c, stream.c, stat.c, fortify.c; coverage.c notes
 * what none of them covers, objects.c which objects ran, fingerprint.c the output checks.
 */
#ifndef REPLREC_INTERPOSE_H
#define REPLREC_INTERPOSE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "raw.h"
#define REPL_ABI_SYSCALL repl_syscall
#include "replabi.h"
#include "real.h"

/* A call to `syscall` from inside the layer would come back through its own wrapper. */
extern long syscall(long number, ...) __attribute__((error("the layer makes its system calls with repl_syscall (raw.h)")));

/* In the files that must not use the heap (see the rules above). */
#define REPL_NO_HEAP _Pragma("GCC poison malloc calloc realloc free strdup strndup asprintf vasprintf")

#define REPL_EXPORT __attribute__((visibility("default")))
#define REPL_HIDDEN __attribute__((visibility("hidden")))
#define REPL_TLS __thread __attribute__((tls_model("initial-exec")))
#define REPL_LIKELY(x) __builtin_expect(!!(x), 1)
#define REPL_UNLIKELY(x) __builtin_expect(!!(x), 0)

REPL_HIDDEN extern struct repl_real_table repl_real;

/* Fills repl_real and attaches (idempotent, cheap once done). */
REPL_HIDDEN void repl_resolve(void);

/* Makes sure repl_real.name is filled: wrappers can run before the layer's constructor. */
#define ENSURE(name)                                                                         \
    do {                                                                                     \
        if (REPL_UNLIKELY(!repl_real.name)) repl_resolve();                                  \
    } while (0)

/* ---- state ------------------------------------------------------------------------------ */

/* The shared region, NULL when the layer is passive (no recorder). */
REPL_HIDDEN extern repl_shared *repl_region;
/* This process's logical id. */
REPL_HIDDEN extern uint32_t repl_process;
REPL_HIDDEN extern bool repl_replay_mode;
/* replrec --chaos: random yields and short sleeps at intercepted calls, so that rare
 * interleavings show up in recordings (record only). */
REPL_HIDDEN extern bool repl_chaos;
REPL_HIDDEN void repl_chaos_pause(void);

/* Per-thread state. */
struct repl_thread_state {
    uint32_t thread; /* logical thread id: 0 for a main thread, else the number of the
                      * pthread_create, or of the thread_start of a thread the layer did not see
                      * created (REPL_UNKNOWN_THREAD until then) */
    uint16_t area;   /* payload area, REPL_NO_AREA until the first large payload */
    uint16_t depth;  /* > 0 while inside the layer (REPL_GUARD) */
    uint16_t mask_changes;  /* the program's signal-mask changes since this thread's last message */
};
REPL_HIDDEN extern REPL_TLS struct repl_thread_state repl_self;

/* A thread started behind the layer's back: by a library that found libc's pthread_create with
 * dlsym(RTLD_NEXT), such as jemalloc's background thread, or by clone(2). Its first sequenced
 * call first numbers a thread_start message, whose number becomes its logical id. */
#define REPL_UNKNOWN_THREAD UINT32_MAX

/* The code of a malloc that is a library of its own (jemalloc, tcmalloc), empty otherwise. The
 * locks it takes guard only its own state, and its purging runs on real time (a background
 * thread, decay deadlines), so its calls are neither recorded nor replayed: they would make
 * replay follow the allocator's timing instead of the program's. */
REPL_HIDDEN extern uintptr_t repl_allocator_start, repl_allocator_end;

/* Whether the wrapper this is inlined into was called from the allocator's code. */
#define REPL_FROM_ALLOCATOR()                                                                \
    ((uintptr_t)__builtin_return_address(0) - repl_allocator_start < repl_allocator_end - repl_allocator_start)

/* ---- the re-entrancy guard ------------------------------------------------------------------ */

/* Signals (signal.c): deliveries that arrived while this thread was inside the layer wait for
 * it to leave. */
REPL_HIDDEN extern REPL_TLS int repl_pending_signals;
REPL_HIDDEN void repl_deliver_pending_signals(void);

static inline uint16_t repl_guard_enter(void) {
    return repl_self.depth++;
}

/* A `signal` message's resource: the signal (bits 0-31); whether it was delivered as the thread
 * left the layer (it had arrived inside) rather than where the kernel delivered it (bit 32); and
 * how many mask changes of the program's (sigprocmask, pthread_sigmask, sigsuspend) the thread
 * had made since its previous message (bits 40-55). A replay runs it as the last of those ends:
 * inside it or after it, before the next, is where the kernel delivered it, and bash unblocks
 * SIGCHLD many times between two intercepted calls. */
#define REPL_SIGNAL_AT_LEAVING (1ull << 32)
#define REPL_SIGNAL_MASK_CHANGE_SHIFT 40
#define REPL_SIGNAL_MASK_CHANGE(resource) ((uint16_t)((resource) >> REPL_SIGNAL_MASK_CHANGE_SHIFT))

/* Replay: runs the signal deliveries that are this thread's turns now, if any: only those
 * delivered as the thread left the layer, when `leaving`; when `mask` is given (the thread has
 * just changed its mask), those that came after this many mask changes on the primary, and
 * those counted before any that `mask` lets through. With `wait`, it first waits for the
 * thread's turn, which tells whether a delivery is next (a thread that has just let a handled
 * signal through: the turns before may not have completed yet); a delivery counted at this very
 * change is waited for in any case. A thread blocked in a real wait (a join) calls it too, in
 * slices. */
REPL_HIDDEN void repl_take_signal_turns(bool leaving, const sigset_t *mask, bool wait);

static inline void repl_guard_leave(const uint16_t *outer_depth) {
    repl_self.depth = *outer_depth;
    if (*outer_depth != 0) return;
    if (REPL_UNLIKELY(repl_pending_signals > 0)) repl_deliver_pending_signals();
    else if (repl_replay_mode) repl_take_signal_turns(true, NULL, false);
}

/* Inside the layer until the end of the enclosing block: on leaving it, the depth is what it was
 * (also in a fork child, which inherits the parent's), and signals are delivered once the thread
 * is out. Record: those that arrived inside. Replay: those recorded as delivered there. */
#define REPL_GUARD()                                                                         \
    const uint16_t repl_outer_depth_ __attribute__((cleanup(repl_guard_leave), unused)) = repl_guard_enter()

/* Whether this call should be recorded: recording, not from inside the layer, not from the
 * allocator. Always inlined, so that the return address is the wrapper's caller. */
static inline __attribute__((always_inline)) bool repl_active(void) {
    return repl_region != NULL && !repl_replay_mode && repl_self.depth == 0 && !REPL_FROM_ALLOCATOR();
}

/* Whether this call takes a turn: replaying, and not from inside the layer. */
static inline __attribute__((always_inline)) bool repl_replaying(void) {
    return repl_replay_mode && repl_self.depth == 0 && !REPL_FROM_ALLOCATOR();
}

/* ---- record (record.c) ------------------------------------------------------------------------ */

/* A payload made of pieces (readv, recvfrom's address and data). */
struct repl_piece {
    const void *data;
    size_t length;
};

/* Records a message whose effect has happened (acquire-like): takes the number and publishes. */
REPL_HIDDEN void repl_record(uint16_t kind, uint64_t resource, int64_t result, int error,
                             const void *payload, size_t length);
REPL_HIDDEN void repl_record_pieces(uint16_t kind, uint64_t resource, int64_t result, int error,
                                    const struct repl_piece *pieces, int count);

/* Release-like calls, inside a guard: take the number first (claiming its slot for a call of
 * `kind`), publish after the effect. */
REPL_HIDDEN uint64_t repl_take(uint16_t kind);
REPL_HIDDEN void repl_publish(uint64_t sequence, uint16_t kind, uint64_t resource, int64_t result,
                              int error, const struct repl_piece *pieces, int count);

/* Record: held around numbering and making an append to a regular file, or a write to an
 * inherited output (io.c), so that the log has them in the order they were made. */
REPL_HIDDEN void repl_lock_appends(void);
REPL_HIDDEN void repl_unlock_appends(void);

/* Arranges for exiting threads to give their payload areas back (attach). */
REPL_HIDDEN void repl_prepare_areas(void);
/* Replay: the same for their entries in the waiter table (attach). */
REPL_HIDDEN void repl_prepare_waiters(void);

/* Fail-stop: the tool is gone. Record: an unrecorded primary would silently break its backups.
 * Replay: an unreplayed process would act outside the recording. */
REPL_HIDDEN void repl_fail_stop(const char *why) __attribute__((noreturn));
/* Stops the process when the tool that owns the region (replrec, replplay) is gone; checked on
 * slow paths. */
REPL_HIDDEN void repl_check_tool(void);
/* Writes a diagnostic line to standard error. */
REPL_HIDDEN void repl_say(const char *text);

/* ---- output commit (commit.c) --------------------------------------------------------------- */

/* Before a write to a socket, waits until every message numbered so far is in the log file, so
 * that a backup that goes live knows all that the program's clients were told. Only sockets:
 * they are how a server answers the world. */
REPL_HIDDEN void repl_commit_output(void);
/* After a write's message: lets this thread's next socket write skip the wait when only its own
 * writes were numbered since its last commit. */
REPL_HIDDEN void repl_note_output(void);

/* ---- output fingerprints (fingerprint.c) ---------------------------------------------------- */

/* The bytes in an iovec (whose layout is a repl_piece's). */
REPL_HIDDEN size_t repl_vector_length(const struct iovec *iov, size_t count);
/* Record: the fingerprint of a write that wrote `written` of the bytes in iov (see
 * REPL_FINGERPRINT_SIZE). */
REPL_HIDDEN void repl_fingerprint_vector(const struct iovec *iov, size_t count, int64_t written,
                                         uint8_t out[REPL_FINGERPRINT_SIZE]);
/* The same for bytes a transfer took from a regular file, read back at `offset`; false when they
 * cannot be read. */
REPL_HIDDEN bool repl_fingerprint_file(int fd, off64_t offset, size_t handed, int64_t written,
                                       uint8_t out[REPL_FINGERPRINT_SIZE]);

/* Where a write lands in a regular file, for the report: at this offset, at the descriptor's own
 * position, or nowhere known (an append, a pipe). */
#define REPL_POSITION_CURRENT ((off64_t)-1)
#define REPL_POSITION_NONE ((off64_t)-2)

/* Replay, in a write's turn, before the write is made or skipped: the bytes the program hands
 * must be the recorded ones (the message's fingerprint), else the replay stops here with
 * REPL_STOP_OUTPUT. A log from before fingerprints has none to check. */
REPL_HIDDEN void repl_check_output(repl_slot *slot, uint16_t kind, int fd, const struct stat *info,
                                   off64_t position, const struct iovec *iov, size_t count);
/* Replay: counts a write of `result` bytes made to replplay's standard output at its turn, where
 * the next one starts in the recording's captured output. */
REPL_HIDDEN void repl_note_output_made(const struct stat *info, int64_t result);
/* Stops the replay at a write whose fingerprint `seen` is not the recorded one; iov NULL when the
 * bytes came from a file (a transfer). */
REPL_HIDDEN void repl_report_output(repl_slot *slot, uint16_t kind, int fd, const struct stat *info,
                                    off64_t position, const struct iovec *iov, size_t count,
                                    const uint8_t recorded[REPL_FINGERPRINT_SIZE],
                                    const uint8_t seen[REPL_FINGERPRINT_SIZE]) __attribute__((noreturn));

/* ---- replay (replay.c) -------------------------------------------------------------------------- */

/* Waits, inside a guard, for this thread's turn at a call of `kind` on `resource`; stops the
 * program with a divergence report when the message at the turn is another call. NULL once
 * promoted (live): the caller then performs the call for real. Signal deliveries that are the
 * thread's turns on the way run their handlers, except when `kind` is REPL_SIGNAL (a call that
 * waits for a signal): the delivery is then the turn returned. */
REPL_HIDDEN repl_slot *repl_turn(uint16_t kind, uint64_t resource, bool check_resource);
/* Takes, inside a guard, this thread's next turn if its message is a `kind` (the caller
 * completes it); NULL, with the turn left for the thread's next call, if it is another, is not
 * in sight, or once live. For notes a log may or may not hold at that point (objects.c); an
 * `objects` note that no comparison takes is passed over by the next call's turn. */
REPL_HIDDEN repl_slot *repl_turn_if(uint16_t kind);
/* Stops the program with a divergence report at this turn: the call cannot be replayed. */
REPL_HIDDEN void repl_diverge(repl_slot *slot, uint16_t kind, uint64_t resource) __attribute__((noreturn));
/* Stops the program at this turn with a report of `cause` (REPL_STOP_*), the printf-style detail
 * saying what differed: other output (fingerprint.c), or a recorded result that cannot be the
 * answer to this call (a damaged log). */
REPL_HIDDEN void repl_stop(repl_slot *slot, uint16_t kind, uint64_t resource, uint32_t cause, const char *format, ...)
    __attribute__((noreturn, format(printf, 5, 6)));
/* Completes the turn and wakes the owner of the next message. */
REPL_HIDDEN void repl_turn_done(repl_slot *slot);
/* Completes the turn; returns the recorded result, with the recorded errno set. */
REPL_HIDDEN int64_t repl_turn_complete(repl_slot *slot);
/* Copies the message's recorded payload into the pieces (writable buffers; a piece whose data
 * is NULL skips its length of payload). */
REPL_HIDDEN void repl_turn_payload(repl_slot *slot, const struct repl_piece *pieces, int count);

/* Replays a call whose whole outcome is in the log: its turn, the recorded payload copied into
 * the pieces, the recorded result (and errno). False once promoted: the caller runs the call. */
REPL_HIDDEN bool repl_replay_outcome(uint16_t kind, uint64_t resource, bool check_resource,
                                     const struct repl_piece *pieces, int count, int64_t *result);

/* The same for input (a read, a ready set): the recorded payload must fit the pieces and the
 * result be at most `most` (the buffer's length, the set's size), else the log is damaged and
 * the replay stops at this turn rather than write past the program's buffer. */
REPL_HIDDEN bool repl_replay_input(uint16_t kind, uint64_t resource, const struct repl_piece *pieces, int count,
                                   int64_t most, int64_t *result);

/* In a wrapper, at replay: returns the recorded result, with the recorded payload copied into
 * `buffer` (`size` bytes); once live, falls through to the real call. */
#define REPLAY_RECORDED(kind, resource, buffer, size, type)                                  \
    if (repl_replaying()) {                                                                  \
        struct repl_piece piece_ = {(buffer), (size)};                                       \
        int64_t recorded_;                                                                   \
        if (repl_replay_outcome(kind, resource, true, &piece_, piece_.length ? 1 : 0, &recorded_)) \
            return (type)recorded_;                                                          \
    }

/* Record: notes the uncovered functions that the process's objects loaded since it last looked
 * import (an `uncovered` message); replay: takes the turns of those notes (coverage.c). */
REPL_HIDDEN void repl_note_uncovered(void);

/* Record: names the objects the process loaded since it last looked (an `objects` message: build
 * ids, else file identities); replay: compares them with the recorded ones and warns of the
 * differences (objects.c). */
REPL_HIDDEN void repl_note_objects(void);
/* A loaded object's path; the program's, which has none of its own, from /proc/self/exe. */
struct dl_phdr_info;
REPL_HIDDEN const char *repl_object_path(const struct dl_phdr_info *info);
/* Whether the object is the layer itself (its imports and identity are not the program's). */
REPL_HIDDEN bool repl_is_layer_object(const struct dl_phdr_info *info);

/* Replay: waits for this thread's next turn, which must be a signal delivery (the thread waits
 * for one: sigsuspend), and runs it; false once live. */
REPL_HIDDEN bool repl_await_signal_turn(void);

/* The recorded errno of a turn's call, set for the program, with the recorded result. */
static inline int64_t repl_turn_result(repl_slot *slot) {
    if (slot->call.error) errno = slot->call.error;
    return slot->call.result;
}

/* The sequence number of the turn a thread holds. */
static inline uint64_t repl_turn_sequence(repl_slot *slot) {
    return atomic_load_explicit(&slot->sequence, memory_order_relaxed);
}

/* Replay, as a process ends (the layer's destructor, after the program's atexit handlers): runs
 * the signal deliveries that are this thread's next messages. On the primary they came after
 * the thread's last intercepted call (a second SIGTERM while postgres ran its exit handlers);
 * without a later call, their turns would never be taken and replay would stall. */
REPL_HIDDEN void repl_take_final_signal_turns(void);

/* Puts the layer's handler behind the signals whose default action ends the process, where the
 * program has left them at SIG_DFL (attach): the death is then recorded where it happened. */
REPL_HIDDEN void repl_take_default_actions(void);

/* Completes a turn whose message is a signal delivery and runs the program's handler. */
REPL_HIDDEN void repl_replay_signal(repl_slot *slot);

/* ---- descriptors (descriptors.c) --------------------------------------------------------------- */

/* Whether fd's input is recorded: anything but a regular file, and the files of /proc and /sys,
 * whose content is made as they are read. */
REPL_HIDDEN bool repl_fd_is_recorded(int fd);
/* Whether the file `info` describes is in /proc or /sys, whose files and listings are made as
 * they are read. */
REPL_HIDDEN bool repl_is_made_as_read(const struct stat *info);
/* The same, keeping what fstat said in `info` (zeroed when fstat fails). */
REPL_HIDDEN bool repl_stat_is_recorded(int fd, struct stat *info);
/* Whether fd's status (fstat, isatty) is recorded: its input is, or it is an inherited output.
 * replrec's and replplay's outputs may be different things (a terminal, then a file), and a
 * program chooses its buffering by what it finds (CPython writes a terminal line by line). */
REPL_HIDDEN bool repl_status_is_recorded(int fd, struct stat *info);
/* Whether the file `info` describes is one of the outputs replplay inherited (its stdout and
 * stderr): writes to those are performed at replay; writes to pipes and sockets of the
 * recording are not. */
REPL_HIDDEN bool repl_is_inherited_output(const struct stat *info);
/* Which of them it is: 0 standard output, 1 standard error (the first that matches); -1 none. */
REPL_HIDDEN int repl_inherited_output_index(const struct stat *info);
/* Learns the devices of /proc and /sys, and the inherited outputs (attach). */
REPL_HIDDEN void repl_classify_descriptors(const char *outputs);

/* Moves a descriptor created at replay, in `slot`'s turn, to the number it had on the primary
 * (its close-on-exec flag kept), never onto a descriptor that holds that number; returns the
 * number it ends up with. */
REPL_HIDDEN int repl_settle(repl_slot *slot, int fd, int recorded);
/* The same for a pair (pipe, socketpair), in whichever order does not clobber one with the other. */
REPL_HIDDEN void repl_settle_pair(repl_slot *slot, int fds[2], const int recorded[2]);

/* Replay: points fd (standard output or error) at /dev/null when it is a pipe or socket of the
 * recording, which stdio would write into unseen and nobody reads at replay. */
REPL_HIDDEN void repl_quiet_replayed_output(int fd);

/* The inherited outputs, from REPLREC_OUTPUTS ("dev:ino,dev:ino"): how many were parsed. */
struct repl_file_identity {
    dev_t device;
    ino_t inode;
};
REPL_HIDDEN int repl_parse_outputs(const char *text, struct repl_file_identity *out, int capacity);

/* ---- the environment (environment.c) ----------------------------------------------------------- */

/* The layer's own variables, kept aside when the program's environment hides them. */
#define REPL_LAYER_VARIABLES 8
struct repl_layer_environment {
    const char *variables[REPL_LAYER_VARIABLES]; /* "REPLREC_…=…", pointing into the original strings */
    int count;
    const char *layer_path; /* this library's path, kept in LD_PRELOAD across exec */
};
REPL_HIDDEN extern struct repl_layer_environment repl_environment;

/* Removes the layer's variables (kept in `kept`) and the layer's own entry in LD_PRELOAD from
 * `environment`, in place, without the heap; `preload` is room for the rewritten LD_PRELOAD. */
REPL_HIDDEN void repl_hide_layer(char **environment, struct repl_layer_environment *kept, char *preload,
                                 size_t preload_size);
/* The value of one of the kept variables ("REPLREC_OUTPUTS"), NULL when absent. */
REPL_HIDDEN const char *repl_layer_variable(const struct repl_layer_environment *kept, const char *name);

/* Builds the environment for an exec or spawn: `envp` without the layer's variables, plus the
 * layer first in LD_PRELOAD and the kept variables with logical process `process`. Returns a
 * malloc'd array (free with repl_free_environment), NULL without memory. */
REPL_HIDDEN char **repl_build_environment(char *const envp[], const struct repl_layer_environment *kept,
                                          uint32_t process);
REPL_HIDDEN char **repl_exec_environment(char *const envp[], uint32_t process);
REPL_HIDDEN void repl_free_environment(char **envp);

/* ---- processes (process.c), sockets (net.c), streams (stream.c) -------------------------------- */

/* pthread_atfork's handlers: fork numbers its call even inside libc (daemon()). */
REPL_HIDDEN void repl_fork_prepare(void);
REPL_HIDDEN void repl_fork_parent(void);
REPL_HIDDEN void repl_fork_child(void);

/* Replay: this process's pid and this thread's tid as the recording knows them, once learnt
 * (from the fork that made the process, or a replayed getpid or gettid); 0 before. */
REPL_HIDDEN extern pid_t repl_recorded_pid;
REPL_HIDDEN extern REPL_TLS pid_t repl_recorded_tid;

/* Replay: the real pid of the child that had recorded pid `recorded` (0 when unknown). */
REPL_HIDDEN pid_t repl_real_child(pid_t recorded);
REPL_HIDDEN void repl_remember_child(pid_t recorded, pid_t real);
/* Replay: the recorded pid of the child that is real pid `real` (0 when unknown). */
REPL_HIDDEN pid_t repl_recorded_child(pid_t real);

/* Replay, for calls that hand a pid to the kernel (kill, fcntl's F_SETOWN): the real pid behind
 * recorded pid `recorded`, this process's own or a child's (0: none this process knows); and
 * back, the recorded pid of a real one (itself when unknown). */
REPL_HIDDEN pid_t repl_real_process(pid_t recorded);
REPL_HIDDEN pid_t repl_recorded_process(pid_t real);

/* fcntl's lock commands (F_SETLK, F_SETLKW, F_GETLK and the F_OFD_ forms), recorded or
 * replayed as file locks with `real_fcntl`: false for every other command, and for an unlock. */
REPL_HIDDEN bool repl_fcntl_lock(int fd, int command, void *argument, int (*real_fcntl)(int, int, ...), int *result);

/* Forgets what replay noted about a descriptor being closed. */
REPL_HIDDEN void repl_forget_socket(int fd);
/* Replay: puts a stand-in for one of the primary's connections at `fd` (SOCK_CLOEXEC and
 * SOCK_NONBLOCK in `flags`): a socket whose peer is closed. */
REPL_HIDDEN void repl_place_stand_in(int fd, int flags);
/* Whether fd holds a stand-in for one of the primary's connections (replay). */
REPL_HIDDEN bool repl_is_stand_in(int fd);
/* Binds and listens for real on the sockets the primary had bound, when the backup goes live. */
REPL_HIDDEN void repl_sockets_go_live(void);

/* Puts layer streams (stream.c) behind stdin, when it is not a regular file, and behind stdout
 * and stderr, so that what stdio reads and writes goes through the wrappers. */
REPL_HIDDEN void repl_adopt_standard_streams(void);

#endif
