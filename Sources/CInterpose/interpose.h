/*
 * Internal header of the interception layer (libreplintercept.so).
 *
 * Rules of the layer:
 *  - Every exported symbol is an interposed libc/libpthread function; everything else is static
 *    or hidden (built with -fvisibility=hidden, exports marked REPL_EXPORT).
 *  - The real functions come from one table, repl_real, filled once (repl_resolve).
 *  - A thread-local depth guard makes calls the layer makes itself (and calls made before the
 *    layer is ready) go straight to the real function.
 *  - Ordering (R1): acquire-like calls (locks, waits, reads, clocks, random) perform their real
 *    effect, then take their sequence number and publish. Release-like calls that cannot block
 *    (sem_post, thread creation, fork, exit, exec) take their number before their effect and
 *    publish right after it. Writes to pipes and sockets can block for as long as their reader
 *    likes, so they are numbered after their effect: a thread never holds an unpublished number
 *    while it waits on another program thread, which would stall the recorder (and, through the
 *    bounded ring and payload areas, the whole program). Both ends of an in-recording channel
 *    are virtualised at replay, so their relative order carries no real dependency.
 */
#ifndef REPLREC_INTERPOSE_H
#define REPLREC_INTERPOSE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "replabi.h"

#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <errno.h>
#include <time.h>

#define REPL_EXPORT __attribute__((visibility("default")))
#define REPL_HIDDEN __attribute__((visibility("hidden")))
#define REPL_TLS __thread __attribute__((tls_model("initial-exec")))
#define REPL_LIKELY(x) __builtin_expect(!!(x), 1)
#define REPL_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Message kinds: the numbers of LogFormat's MessageKind (checked by a test). */
enum repl_kind {
    REPL_MUTEX_LOCK = 1, REPL_MUTEX_TRYLOCK = 2, REPL_MUTEX_TIMEDLOCK = 3,
    REPL_COND_WAIT = 4, REPL_COND_TIMEDWAIT = 5,
    REPL_RWLOCK_RDLOCK = 6, REPL_RWLOCK_WRLOCK = 7, REPL_RWLOCK_TRYRDLOCK = 8,
    REPL_RWLOCK_TRYWRLOCK = 9, REPL_RWLOCK_TIMEDRDLOCK = 10, REPL_RWLOCK_TIMEDWRLOCK = 11,
    REPL_SPIN_LOCK = 12, REPL_SPIN_TRYLOCK = 13,
    REPL_SEM_WAIT = 14, REPL_SEM_TRYWAIT = 15, REPL_SEM_TIMEDWAIT = 16, REPL_SEM_POST = 17,
    REPL_BARRIER_WAIT = 18, REPL_ONCE = 19, REPL_THREAD_JOIN = 20,
    REPL_TIME = 32, REPL_GETTIMEOFDAY = 33, REPL_CLOCK_GETTIME = 34, REPL_CLOCK = 35,
    REPL_GETRANDOM = 40, REPL_GETENTROPY = 41, REPL_ARC4RANDOM = 42,
    REPL_READ = 48, REPL_READV = 49, REPL_PREAD = 50, REPL_PREADV = 51,
    REPL_RECV = 52, REPL_RECVFROM = 53, REPL_RECVMSG = 54, REPL_ACCEPT = 55, REPL_CONNECT = 56,
    REPL_POLL = 57, REPL_SELECT = 58, REPL_EPOLL_WAIT = 59,
    REPL_WRITE = 60, REPL_WRITEV = 61, REPL_SEND = 62, REPL_SENDMSG = 63,
    REPL_SOCKET = 64, REPL_SOCKETPAIR = 65, REPL_PIPE = 66, REPL_OPEN = 67, REPL_CLOSE = 68,
    REPL_DUP = 69, REPL_EPOLL_CREATE = 70, REPL_BIND = 71, REPL_LISTEN = 72, REPL_GETSOCKNAME = 73,
    REPL_GETPEERNAME = 74, REPL_SETSOCKOPT = 75, REPL_GETSOCKOPT = 76,
    REPL_GETPID = 80, REPL_GETPPID = 81, REPL_GETTID = 82, REPL_THREAD_CREATE = 83,
    REPL_THREAD_START = 84, REPL_THREAD_EXIT = 85, REPL_FORK = 86, REPL_PROCESS_START = 87,
    REPL_EXEC = 88, REPL_WAIT = 89, REPL_EXIT = 90, REPL_SIGNAL = 91,
};

/* The real functions, resolved once. */
struct repl_real_table {
    int (*pthread_mutex_lock)(pthread_mutex_t *);
    int (*pthread_mutex_trylock)(pthread_mutex_t *);
    int (*pthread_mutex_timedlock)(pthread_mutex_t *, const struct timespec *);
    int (*pthread_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
    int (*pthread_cond_timedwait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
    int (*pthread_cond_wait_old)(pthread_cond_t *, pthread_mutex_t *);
    int (*pthread_cond_timedwait_old)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
    int (*pthread_rwlock_rdlock)(pthread_rwlock_t *);
    int (*pthread_rwlock_wrlock)(pthread_rwlock_t *);
    int (*pthread_rwlock_tryrdlock)(pthread_rwlock_t *);
    int (*pthread_rwlock_trywrlock)(pthread_rwlock_t *);
    int (*pthread_rwlock_timedrdlock)(pthread_rwlock_t *, const struct timespec *);
    int (*pthread_rwlock_timedwrlock)(pthread_rwlock_t *, const struct timespec *);
    int (*pthread_spin_lock)(pthread_spinlock_t *);
    int (*pthread_spin_trylock)(pthread_spinlock_t *);
    int (*sem_wait)(sem_t *);
    int (*sem_trywait)(sem_t *);
    int (*sem_timedwait)(sem_t *, const struct timespec *);
    int (*sem_post)(sem_t *);
    int (*pthread_barrier_wait)(pthread_barrier_t *);
    int (*pthread_once)(pthread_once_t *, void (*)(void));
    int (*pthread_join)(pthread_t, void **);
    int (*pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

    time_t (*time)(time_t *);
    int (*gettimeofday)(struct timeval *, void *);
    int (*clock_gettime)(clockid_t, struct timespec *);
    clock_t (*clock)(void);
    ssize_t (*getrandom)(void *, size_t, unsigned int);
    int (*getentropy)(void *, size_t);
    uint32_t (*arc4random)(void);
    void (*arc4random_buf)(void *, size_t);
    uint32_t (*arc4random_uniform)(uint32_t);

    ssize_t (*read)(int, void *, size_t);
    ssize_t (*readv)(int, const struct iovec *, int);
    ssize_t (*pread)(int, void *, size_t, off_t);
    ssize_t (*preadv)(int, const struct iovec *, int, off_t);
    ssize_t (*recv)(int, void *, size_t, int);
    ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
    ssize_t (*recvmsg)(int, struct msghdr *, int);
    int (*accept)(int, struct sockaddr *, socklen_t *);
    int (*accept4)(int, struct sockaddr *, socklen_t *, int);
    int (*connect)(int, const struct sockaddr *, socklen_t);
    int (*bind)(int, const struct sockaddr *, socklen_t);
    int (*listen)(int, int);
    int (*getsockname)(int, struct sockaddr *, socklen_t *);
    int (*getpeername)(int, struct sockaddr *, socklen_t *);
    int (*getsockopt)(int, int, int, void *, socklen_t *);
    int (*setsockopt)(int, int, int, const void *, socklen_t);
    int (*poll)(struct pollfd *, nfds_t, int);
    int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
    int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
    int (*pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *);
    int (*epoll_wait)(int, struct epoll_event *, int, int);
    int (*epoll_pwait)(int, struct epoll_event *, int, int, const sigset_t *);
    ssize_t (*write)(int, const void *, size_t);
    ssize_t (*writev)(int, const struct iovec *, int);
    ssize_t (*send)(int, const void *, size_t, int);
    ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    ssize_t (*sendmsg)(int, const struct msghdr *, int);

    int (*socket)(int, int, int);
    int (*socketpair)(int, int, int, int[2]);
    int (*pipe)(int[2]);
    int (*pipe2)(int[2], int);
    int (*open)(const char *, int, ...);
    int (*open64)(const char *, int, ...);
    int (*openat)(int, const char *, int, ...);
    int (*openat64)(int, const char *, int, ...);
    int (*close)(int);
    int (*dup)(int);
    int (*dup2)(int, int);
    int (*dup3)(int, int, int);
    int (*epoll_create)(int);
    int (*epoll_create1)(int);

    pid_t (*fork)(void);
    int (*execve)(const char *, char *const[], char *const[]);
    int (*execveat)(int, const char *, char *const[], char *const[], int);
    int (*fexecve)(int, char *const[], char *const[]);
    pid_t (*wait)(int *);
    pid_t (*waitpid)(pid_t, int *, int);
    pid_t (*wait4)(pid_t, int *, int, struct rusage *);
    int (*waitid)(idtype_t, id_t, siginfo_t *, int);
    void (*exit)(int) __attribute__((noreturn));
    void (*_exit)(int) __attribute__((noreturn));
    int (*posix_spawn)(pid_t *, const char *, const void *, const void *, char *const[], char *const[]);
    int (*posix_spawnp)(pid_t *, const char *, const void *, const void *, char *const[], char *const[]);

    int (*sigaction)(int, const struct sigaction *, struct sigaction *);

    FILE *(*fopen)(const char *, const char *);
    FILE *(*fopen64)(const char *, const char *);
    FILE *(*fdopen)(int, const char *);
};

REPL_HIDDEN extern struct repl_real_table repl_real;

/* The shared region, NULL when the layer is passive (no recorder). */
REPL_HIDDEN extern repl_shared *repl_region;
/* This process's logical id. */
REPL_HIDDEN extern uint32_t repl_process;

/* Per-thread state. */
struct repl_thread_state {
    uint32_t thread; /* logical thread id: 0 for a main thread, else the number of the
                      * pthread_create, or of the thread_start of a thread the layer did not see
                      * created (REPL_UNKNOWN_THREAD until then) */
    uint16_t area;   /* payload area, REPL_NO_AREA until the first large payload */
    uint16_t depth;  /* re-entrancy guard: > 0 while inside the layer */
};
REPL_HIDDEN extern REPL_TLS struct repl_thread_state repl_self;

/* A thread started behind the layer's back: by a library that found libc's pthread_create with
 * dlsym(RTLD_NEXT), such as jemalloc's background thread, or by clone(2). Its first sequenced
 * call first numbers a thread_start message, whose number becomes its logical id. */
#define REPL_UNKNOWN_THREAD UINT32_MAX

/* Fills repl_real (idempotent, cheap once done). */
REPL_HIDDEN void repl_resolve(void);

/* Makes sure repl_real.name is filled: wrappers can run before the layer's constructor. */
#define ENSURE(name)                                                                         \
    do {                                                                                     \
        if (REPL_UNLIKELY(!repl_real.name)) repl_resolve();                                  \
    } while (0)


REPL_HIDDEN extern bool repl_replay_mode;

/* The code of a malloc that is a library of its own (jemalloc, tcmalloc), empty otherwise. The
 * locks it takes guard only its own state, and its purging runs on real time (a background
 * thread, decay deadlines), so its calls are neither recorded nor replayed: they would make
 * replay follow the allocator's timing instead of the program's. */
REPL_HIDDEN extern uintptr_t repl_allocator_start, repl_allocator_end;

/* Whether the wrapper this is inlined into was called from the allocator's code. */
#define REPL_FROM_ALLOCATOR()                                                                \
    ((uintptr_t)__builtin_return_address(0) - repl_allocator_start < repl_allocator_end - repl_allocator_start)

/* Signals (signal.c): deliveries that arrived while this thread was inside the layer wait for
 * it to leave; at replay, a thread whose turn is a `signal` message runs the program's handler. */
REPL_HIDDEN extern REPL_TLS int repl_pending_signals;
REPL_HIDDEN void repl_deliver_pending_signals(void);

/* Leaves the layer (record): the depth guard goes down, and deferred signals are delivered
 * once the thread is out. */
static inline void repl_leave(void) {
    if (--repl_self.depth == 0 && REPL_UNLIKELY(repl_pending_signals > 0)) repl_deliver_pending_signals();
}

/* Whether this call should be recorded: recording, not from inside the layer, not from the
 * allocator. Always inlined, so that the return address is the wrapper's caller. */
static inline __attribute__((always_inline)) bool repl_active(void) {
    return repl_region != NULL && !repl_replay_mode && repl_self.depth == 0 && !REPL_FROM_ALLOCATOR();
}

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

/* Output commit (record): before a write to a socket, waits until every message numbered so
 * far is in the log file, so that a backup that goes live knows all that the program's clients
 * were told. Only sockets: they are how a server answers the world. */
REPL_HIDDEN void repl_commit_output(void);
/* After a write's message: lets this thread's next socket write skip the wait when only its own
 * writes were numbered since its last commit. */
REPL_HIDDEN void repl_note_output(void);

/* Release-like calls: take the number first, publish after the effect. */
REPL_HIDDEN uint64_t repl_take(void);
REPL_HIDDEN void repl_publish(uint64_t sequence, uint16_t kind, uint64_t resource, int64_t result,
                              int error, const struct repl_piece *pieces, int count);

/* The number pthread_atfork's prepare handler took for the fork under way, and whether the fork
 * wrapper (which knows the child's pid) publishes it. */
REPL_HIDDEN extern REPL_TLS uint64_t repl_fork_sequence;
REPL_HIDDEN extern REPL_TLS bool repl_in_fork_wrapper;

/* ---- replay (replay.c) ------------------------------------------------------------------ */

/* Whether this call takes a turn: replaying, and not from inside the layer. */
static inline __attribute__((always_inline)) bool repl_replaying(void) {
    return repl_replay_mode && repl_self.depth == 0 && !REPL_FROM_ALLOCATOR();
}

/* Waits for this thread's turn at a call of `kind` on `resource`; stops the program with a
 * divergence report when the message at the turn is another call. NULL once promoted (live):
 * the caller then performs the call for real. */
REPL_HIDDEN repl_slot *repl_turn(uint16_t kind, uint64_t resource, bool check_resource);
/* Completes the turn and wakes the owner of the next message. */
REPL_HIDDEN void repl_turn_done(repl_slot *slot);
/* Copies the message's recorded payload into the pieces (writable buffers). */
REPL_HIDDEN void repl_turn_payload(repl_slot *slot, const struct repl_piece *pieces, int count);

/* Replays a call whose whole outcome is in the log: its turn, the recorded payload copied into
 * the pieces, the recorded result (and errno). False once promoted: the caller runs the call. */
REPL_HIDDEN bool repl_replay_outcome(uint16_t kind, uint64_t resource, bool check_resource,
                                     const struct repl_piece *pieces, int count, int64_t *result);

/* In a wrapper, at replay: returns the recorded result, with the recorded payload copied into
 * `buffer` (`size` bytes); once live, falls through to the real call. */
#define REPLAY_RECORDED(kind, resource, buffer, size, type)                                  \
    if (repl_replaying()) {                                                                  \
        struct repl_piece piece_ = {(buffer), (size)};                                       \
        int64_t recorded_;                                                                   \
        if (repl_replay_outcome(kind, resource, true, &piece_, piece_.length ? 1 : 0, &recorded_)) \
            return (type)recorded_;                                                          \
    }

/* The recorded errno of a turn's call, set for the program, with the recorded result. */
static inline int64_t repl_turn_result(repl_slot *slot) {
    if (slot->error) errno = slot->error;
    return slot->result;
}

/* Completes a turn whose message is a signal delivery and runs the program's handler. */
REPL_HIDDEN void repl_replay_signal(repl_slot *slot);
/* Replay, for a thread blocked in a real wait (a join): runs the signal deliveries that are its
 * turns now, if any. */
REPL_HIDDEN void repl_take_signal_turns(void);

/* Completes the turn; returns the recorded result, with the recorded errno set. */
REPL_HIDDEN int64_t repl_turn_complete(repl_slot *slot);

/* Sockets (net.c): forgets what replay noted about a descriptor being closed; binds and listens
 * for real on the sockets the primary had bound, when the backup goes live. */
REPL_HIDDEN void repl_forget_socket(int fd);
/* Whether fd holds a stand-in for one of the primary's connections (replay). */
REPL_HIDDEN bool repl_is_stand_in(int fd);
REPL_HIDDEN void repl_sockets_go_live(void);

/* Whether the file `info` describes is one of the outputs replplay inherited (its stdout and
 * stderr): writes to those are performed at replay; writes to pipes and sockets of the
 * recording are not. */
REPL_HIDDEN bool repl_is_inherited_output(const struct stat *info);

/* Replay: the real pid of the child that had recorded pid `recorded` (0 when unknown). */
REPL_HIDDEN pid_t repl_real_child(pid_t recorded);
REPL_HIDDEN void repl_remember_child(pid_t recorded, pid_t real);

/* Whether fd's input is recorded: anything but a regular file, and the files of /proc and /sys,
 * whose content is made as they are read. */
REPL_HIDDEN bool repl_fd_is_recorded(int fd);
/* The same, keeping what fstat said in `info` (zeroed when fstat fails). */
REPL_HIDDEN bool repl_stat_is_recorded(int fd, struct stat *info);

/* Puts a layer stream (stream.c) behind stdin when it is not a regular file, so that input read
 * with stdio is recorded and replayed like read(2). */
REPL_HIDDEN void repl_adopt_stdin(void);

/* Builds the environment for an exec or spawn: the program's, plus what the layer needs to
 * attach in the new image as logical process `process`. Returns a malloc'd array (free with
 * repl_free_environment). */
REPL_HIDDEN char **repl_exec_environment(char *const envp[], uint32_t process);
REPL_HIDDEN void repl_free_environment(char **envp);

/* Fail-stop: the recorder is gone; an unrecorded primary would silently break its backups. */
REPL_HIDDEN void repl_fail_stop(const char *why) __attribute__((noreturn));

#endif
