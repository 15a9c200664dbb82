/*
 * The message kinds: the one list of the calls a replication message can record. Each entry is
 * X(number, C name, log name):
 *  - the number is ABI (repl_slot.call.kind) and log format: never reused, grouped by family;
 *  - the C name gives the layer's enum constant, REPL_<C name>;
 *  - the log name is what logtool prints and --kind accepts; LogFormat's MessageKind takes its
 *    table from here (repl_kind_name), and a test reads this file to check both directions.
 * Several interposed functions may record one kind (open, open64 and openat are all `open`);
 * the resource or the payload tells them apart where replay needs it.
 */
#ifndef REPLREC_REPLKINDS_H
#define REPLREC_REPLKINDS_H

#include <stdint.h>

#define REPL_KINDS(X)                                                                          \
    /* Synchronisation (1-31) */                                                               \
    X(1, MUTEX_LOCK, "mutex_lock")                                                             \
    X(2, MUTEX_TRYLOCK, "mutex_trylock")                                                       \
    X(3, MUTEX_TIMEDLOCK, "mutex_timedlock")                                                   \
    X(4, COND_WAIT, "cond_wait")                                                               \
    X(5, COND_TIMEDWAIT, "cond_timedwait")                                                     \
    X(6, RWLOCK_RDLOCK, "rwlock_rdlock")                                                       \
    X(7, RWLOCK_WRLOCK, "rwlock_wrlock")                                                       \
    X(8, RWLOCK_TRYRDLOCK, "rwlock_tryrdlock")                                                 \
    X(9, RWLOCK_TRYWRLOCK, "rwlock_trywrlock")                                                 \
    X(10, RWLOCK_TIMEDRDLOCK, "rwlock_timedrdlock")                                            \
    X(11, RWLOCK_TIMEDWRLOCK, "rwlock_timedwrlock")                                            \
    X(12, SPIN_LOCK, "spin_lock")                                                              \
    X(13, SPIN_TRYLOCK, "spin_trylock")                                                        \
    X(14, SEM_WAIT, "sem_wait")                                                                \
    X(15, SEM_TRYWAIT, "sem_trywait")                                                          \
    X(16, SEM_TIMEDWAIT, "sem_timedwait")                                                      \
    X(17, SEM_POST, "sem_post")                                                                \
    X(18, BARRIER_WAIT, "barrier_wait")                                                        \
    X(19, ONCE, "once")                                                                        \
    X(20, THREAD_JOIN, "thread_join")                                                          \
    X(21, SEM_CLOCKWAIT, "sem_clockwait")                                                      \
    X(22, MUTEX_CLOCKLOCK, "mutex_clocklock")                                                  \
    X(23, COND_CLOCKWAIT, "cond_clockwait")                                                    \
    X(24, RWLOCK_CLOCKRDLOCK, "rwlock_clockrdlock")                                            \
    X(25, RWLOCK_CLOCKWRLOCK, "rwlock_clockwrlock")                                            \
    /* Time (32-39) */                                                                         \
    X(32, TIME, "time")                                                                        \
    X(33, GETTIMEOFDAY, "gettimeofday")                                                        \
    X(34, CLOCK_GETTIME, "clock_gettime")                                                      \
    X(35, CLOCK, "clock")                                                                      \
    X(36, SLEEP, "sleep")                                                                      \
    /* Randomness (40-47) */                                                                   \
    X(40, GETRANDOM, "getrandom")                                                              \
    X(41, GETENTROPY, "getentropy")                                                            \
    X(42, ARC4RANDOM, "arc4random")                                                            \
    /* Input, output and descriptors (48-79) */                                                \
    X(48, READ, "read")                                                                        \
    X(49, READV, "readv")                                                                      \
    X(50, PREAD, "pread")                                                                      \
    X(51, PREADV, "preadv")                                                                    \
    X(52, RECV, "recv")                                                                        \
    X(53, RECVFROM, "recvfrom")                                                                \
    X(54, RECVMSG, "recvmsg")                                                                  \
    X(55, ACCEPT, "accept")                                                                    \
    X(56, CONNECT, "connect")                                                                  \
    X(57, POLL, "poll")                                                                        \
    X(58, SELECT, "select")                                                                    \
    X(59, EPOLL_WAIT, "epoll_wait")                                                            \
    X(60, WRITE, "write")                                                                      \
    X(61, WRITEV, "writev")                                                                    \
    X(62, SEND, "send")                                                                        \
    X(63, SENDMSG, "sendmsg")                                                                  \
    X(64, SOCKET, "socket")                                                                    \
    X(65, SOCKETPAIR, "socketpair")                                                            \
    X(66, PIPE, "pipe")                                                                        \
    X(67, OPEN, "open")                                                                        \
    X(68, CLOSE, "close")                                                                      \
    X(69, DUP, "dup")                                                                          \
    X(70, EPOLL_CREATE, "epoll_create")                                                        \
    X(71, BIND, "bind")                                                                        \
    X(72, LISTEN, "listen")                                                                    \
    X(73, GETSOCKNAME, "getsockname")                                                          \
    X(74, GETPEERNAME, "getpeername")                                                          \
    X(75, SETSOCKOPT, "setsockopt")                                                            \
    X(76, GETSOCKOPT, "getsockopt")                                                            \
    X(77, FSTAT, "fstat")                                                                      \
    /* Processes, threads and signals (80-111) */                                              \
    X(80, GETPID, "getpid")                                                                    \
    X(81, GETPPID, "getppid")                                                                  \
    X(82, GETTID, "gettid")                                                                    \
    X(83, THREAD_CREATE, "thread_create")                                                      \
    X(84, THREAD_START, "thread_start")                                                        \
    X(85, THREAD_EXIT, "thread_exit")                                                          \
    X(86, FORK, "fork")                                                                        \
    X(87, PROCESS_START, "process_start")                                                      \
    X(88, EXEC, "exec")                                                                        \
    X(89, WAIT, "wait")                                                                        \
    X(90, EXIT, "exit")                                                                        \
    X(91, SIGNAL, "signal")                                                                    \
    X(92, KILL, "kill")                                                                        \
    X(93, THREAD_KILL, "thread_kill")                                                          \
    /* Written by the recorder (112-127) */                                                    \
    X(112, LOST, "lost")                                                                       \
    /* Input, output and descriptors, continued (128-159) */                                   \
    X(128, SENDFILE, "sendfile")                                                               \
    X(129, SPLICE, "splice")                                                                   \
    X(130, TEE, "tee")                                                                         \
    X(131, COPY_FILE_RANGE, "copy_file_range")                                                 \
    X(132, VMSPLICE, "vmsplice")                                                               \
    X(133, ISATTY, "isatty")                                                                   \
    X(134, PATH_LOOKUP, "path_lookup")                                                         \
    X(135, PATH_CHANGE, "path_change")                                                         \
    X(136, EVENT_DESCRIPTOR, "event_descriptor")                                               \
    X(137, DIR_ENTRY, "dir_entry")                                                             \
    X(138, PWRITE, "pwrite")                                                                   \
    X(139, PWRITEV, "pwritev")                                                                 \
    /* Processes, threads and signals, continued (160-191) */                                  \
    X(160, SIGWAIT, "sigwait")                                                                 \
    /* File locks (192-199) */                                                                 \
    X(192, FLOCK, "flock")                                                                     \
    X(193, RECORD_LOCK, "record_lock")                                                         \
    X(194, FILE_LOCK_TEST, "file_lock_test")                                                   \
    /* The layer's notes on the recording (200-207) */                                         \
    X(200, UNCOVERED, "uncovered")                                                             \
    X(201, OBJECTS, "objects")

#define REPL_KIND_ENUMERATOR(number, name, printed) REPL_##name = number,
enum repl_kind { REPL_KINDS(REPL_KIND_ENUMERATOR) };
#undef REPL_KIND_ENUMERATOR

/* The log name of a kind; NULL for a number the list does not hold. */
static inline const char *repl_kind_name(uint16_t kind) {
    switch (kind) {
#define REPL_KIND_CASE(number, name, printed) case number: return printed;
        REPL_KINDS(REPL_KIND_CASE)
#undef REPL_KIND_CASE
    default: return (const char *)0;
    }
}

/* Every number in the list is below this: tables indexed by kind can be this long. */
enum { REPL_KIND_LIMIT = 256 };
#define REPL_KIND_BELOW_LIMIT(number, name, printed) _Static_assert(number > 0 && number < REPL_KIND_LIMIT, #name);
REPL_KINDS(REPL_KIND_BELOW_LIMIT)
#undef REPL_KIND_BELOW_LIMIT

#endif
