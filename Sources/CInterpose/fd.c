/*
 * Descriptors: every call that creates or closes one (socket, socketpair, pipe, open, close,
 * dup, fcntl's F_DUPFD, epoll_create, eventfd, timerfd_create, signalfd, inotify_init,
 * memfd_create). Linux hands out the lowest free number, so when these calls happen in the
 * recorded order in each process, every descriptor gets the number it had on the primary, and
 * the calls that name descriptors (reads, accepts, polls) find them.
 *
 * Creating is acquire-like: the real call, then the number, with the result. Closing is
 * release-like: the number, then the close. At replay: the turn, then the real call; a new
 * descriptor is then moved to the number it had on the primary: two threads that create
 * descriptors at the same moment may number their calls in the other order than the kernel
 * handed out the descriptors, so the lowest free number alone does not always match.
 *
 * fcntl is here for F_DUPFD; its lock commands go to lock.c; its other commands are the real
 * call, except at replay those that hand the kernel a pid (F_SETOWN: the signals of a descriptor
 * go to the replayed process).
 */
#include "interpose.h"

#include <fcntl.h>
#include <stdarg.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

/* Puts the two descriptors of a replayed pipe or socketpair where the primary had them (the
 * recorded pair is the payload). */
static void settle_pair(repl_slot *slot, int fds[2]) {
    int recorded[2] = {-1, -1};
    struct repl_piece piece = {recorded, sizeof recorded};
    repl_turn_payload(slot, &piece, 1);
    repl_settle_pair(slot, fds, recorded);
}

/* Runs `call` (an int expression) in its turn at replay, or records its result. `settle_with`
 * puts what the call created where the primary had it (replayed: the call's result). */
#define SEQUENCED_SETTLING(kind, resource, real_call, payload, length, settle_with)                \
    if (repl_replaying()) {                                                                  \
        REPL_GUARD();                                                                        \
        repl_slot *slot = repl_turn(kind, 0, false);                                         \
        int replayed = (real_call);                                                               \
        if (slot) {                                                                          \
            settle_with;                                                                     \
            repl_turn_done(slot);                                                            \
        }                                                                                    \
        return replayed;                                                                     \
    }                                                                                        \
    int result = (real_call);                                                                     \
    if (repl_active())                                                                       \
        repl_record(kind, (uint64_t)(resource), result, result < 0 ? errno : 0, payload, result < 0 ? 0 : (length)); \
    return result

/* A call that creates one descriptor, its result. */
#define CREATES_ONE(kind, resource, real_call)                                                    \
    SEQUENCED_SETTLING(kind, resource, real_call, NULL, 0, replayed = repl_settle(slot, replayed, (int)slot->call.result))

REPL_EXPORT int socket(int domain, int type, int protocol) {
    ENSURE(socket);
    CREATES_ONE(REPL_SOCKET, domain, repl_real.socket(domain, type, protocol));
}

REPL_EXPORT int socketpair(int domain, int type, int protocol, int fds[2]) {
    ENSURE(socketpair);
    SEQUENCED_SETTLING(REPL_SOCKETPAIR, domain, repl_real.socketpair(domain, type, protocol, fds), fds,
                       2 * sizeof(int), if (replayed == 0) settle_pair(slot, fds));
}

REPL_EXPORT int pipe(int fds[2]) {
    ENSURE(pipe);
    SEQUENCED_SETTLING(REPL_PIPE, 0, repl_real.pipe(fds), fds, 2 * sizeof(int), if (replayed == 0) settle_pair(slot, fds));
}

REPL_EXPORT int pipe2(int fds[2], int flags) {
    ENSURE(pipe2);
    SEQUENCED_SETTLING(REPL_PIPE, 1, repl_real.pipe2(fds, flags), fds, 2 * sizeof(int), if (replayed == 0) settle_pair(slot, fds));
}

/* The mode argument, which exists when the flags create a file (inside the variadic wrapper). */
#define OPEN_MODE(flags)                                                                     \
    ({                                                                                       \
        va_list arguments;                                                                   \
        va_start(arguments, flags);                                                          \
        mode_t mode_ = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE                 \
                           ? (mode_t)va_arg(arguments, int) : 0;                             \
        va_end(arguments);                                                                   \
        mode_;                                                                               \
    })

REPL_EXPORT int open(const char *path, int flags, ...) {
    ENSURE(open);
    mode_t mode = OPEN_MODE(flags);
    CREATES_ONE(REPL_OPEN, 0, repl_real.open(path, flags, mode));
}

REPL_EXPORT int open64(const char *path, int flags, ...) {
    ENSURE(open64);
    mode_t mode = OPEN_MODE(flags);
    CREATES_ONE(REPL_OPEN, 0, repl_real.open64(path, flags, mode));
}

REPL_EXPORT int openat(int dirfd, const char *path, int flags, ...) {
    ENSURE(openat);
    mode_t mode = OPEN_MODE(flags);
    CREATES_ONE(REPL_OPEN, 1, repl_real.openat(dirfd, path, flags, mode));
}

REPL_EXPORT int openat64(int dirfd, const char *path, int flags, ...) {
    ENSURE(openat64);
    mode_t mode = OPEN_MODE(flags);
    CREATES_ONE(REPL_OPEN, 1, repl_real.openat64(dirfd, path, flags, mode));
}

/* Release-like: the number is taken before the descriptor is freed, so a create in another
 * thread that gets the freed number is numbered after the close, and replays after it. */
REPL_EXPORT int close(int fd) {
    ENSURE(close);
    if (repl_replaying()) {
        repl_forget_socket(fd);
        REPL_GUARD();
        repl_slot *slot = repl_turn(REPL_CLOSE, 0, false);
        int result = repl_real.close(fd);
        if (slot) repl_turn_done(slot);
        return result;
    }
    if (!repl_active()) return repl_real.close(fd);
    int result, error;
    {
        REPL_GUARD();
        uint64_t sequence = repl_take(REPL_CLOSE);
        result = repl_real.close(fd);
        error = result ? errno : 0;
        repl_publish(sequence, REPL_CLOSE, (uint64_t)fd, result, error, NULL, 0);
    }
    if (error) errno = error;
    return result;
}

/* At replay, a pipe of the recording made a standard output or error is quieted (descriptors.c). */
#define QUIET_IF_STANDARD_OUTPUT(target)                                                     \
    if (replayed >= 0 && ((target) == STDOUT_FILENO || (target) == STDERR_FILENO)) repl_quiet_replayed_output(target)

REPL_EXPORT int dup(int fd) {
    ENSURE(dup);
    SEQUENCED_SETTLING(REPL_DUP, fd, repl_real.dup(fd), NULL, 0,
                       replayed = repl_settle(slot, replayed, (int)slot->call.result);
                       QUIET_IF_STANDARD_OUTPUT(replayed));
}

REPL_EXPORT int dup2(int fd, int target) {
    ENSURE(dup2);
    SEQUENCED_SETTLING(REPL_DUP, fd, repl_real.dup2(fd, target), NULL, 0, QUIET_IF_STANDARD_OUTPUT(target));
}

REPL_EXPORT int dup3(int fd, int target, int flags) {
    ENSURE(dup3);
    SEQUENCED_SETTLING(REPL_DUP, fd, repl_real.dup3(fd, target, flags), NULL, 0, QUIET_IF_STANDARD_OUTPUT(target));
}

REPL_EXPORT int epoll_create(int size) {
    ENSURE(epoll_create);
    CREATES_ONE(REPL_EPOLL_CREATE, 0, repl_real.epoll_create(size));
}

REPL_EXPORT int epoll_create1(int flags) {
    ENSURE(epoll_create1);
    CREATES_ONE(REPL_EPOLL_CREATE, 1, repl_real.epoll_create1(flags));
}

/* ---- descriptors for events, timers, signals, file watches and memory -------------------------- */

/* What their reads return is recorded (they are not regular files); their numbers are made
 * here. The resource says which call. signalfd on an existing descriptor changes its mask and
 * creates nothing: the real call. */
enum event_descriptor { EVENTFD = 1, TIMERFD, SIGNALFD, INOTIFY, MEMFD };

REPL_EXPORT int eventfd(unsigned int initial, int flags) {
    ENSURE(eventfd);
    CREATES_ONE(REPL_EVENT_DESCRIPTOR, EVENTFD, repl_real.eventfd(initial, flags));
}

REPL_EXPORT int timerfd_create(int clock, int flags) {
    ENSURE(timerfd_create);
    CREATES_ONE(REPL_EVENT_DESCRIPTOR, TIMERFD, repl_real.timerfd_create(clock, flags));
}

REPL_EXPORT int signalfd(int fd, const sigset_t *mask, int flags) {
    ENSURE(signalfd);
    if (fd != -1) return repl_real.signalfd(fd, mask, flags);
    CREATES_ONE(REPL_EVENT_DESCRIPTOR, SIGNALFD, repl_real.signalfd(fd, mask, flags));
}

REPL_EXPORT int inotify_init(void) {
    ENSURE(inotify_init);
    CREATES_ONE(REPL_EVENT_DESCRIPTOR, INOTIFY, repl_real.inotify_init());
}

REPL_EXPORT int inotify_init1(int flags) {
    ENSURE(inotify_init1);
    CREATES_ONE(REPL_EVENT_DESCRIPTOR, INOTIFY, repl_real.inotify_init1(flags));
}

REPL_EXPORT int memfd_create(const char *name, unsigned int flags) {
    ENSURE(memfd_create);
    CREATES_ONE(REPL_EVENT_DESCRIPTOR, MEMFD, repl_real.memfd_create(name, flags));
}

/* ---- fcntl: the commands that create a descriptor or name a process -------------------------- */

/* F_SETOWN's and F_SETOWN_EX's owner at replay: the recorded pid (a process, a group when
 * negative, this thread) mapped to the replayed one behind it; false when this process knows of
 * none (T2: a process outside the recording must not be sent its SIGIO). */
static bool replayed_owner(int type, pid_t recorded, pid_t *real) {
    if (recorded == 0) return (*real = 0), true;
    if (type == F_OWNER_TID) {
        *real = recorded == repl_recorded_tid ? (pid_t)repl_syscall(SYS_gettid) : 0;
    } else {
        pid_t process = repl_real_process(type == F_OWNER_PGRP ? recorded : recorded < 0 ? -recorded : recorded);
        *real = recorded < 0 && type == F_OWNER_PID ? -process : process;
    }
    return *real != 0;
}

/* The owner the kernel answers with at replay, as the recording named it. */
static pid_t recorded_owner(int type, pid_t real) {
    if (type == F_OWNER_TID) return real == (pid_t)repl_syscall(SYS_gettid) && repl_recorded_tid > 0 ? repl_recorded_tid : real;
    return real < 0 ? -repl_recorded_process(-real) : repl_recorded_process(real);
}

/* Replay: the commands that hand the kernel a pid or get one from it. The pids the program
 * knows are the recorded ones (getpid is replayed), so nginx's F_SETOWN of its channel to the
 * master named a process that does not exist at replay (ESRCH, and nginx gave up the worker),
 * or worse, an unrelated one. Returns false for every other command. */
static bool replay_owner_command(int fd, int command, void *argument, int (*real)(int, int, ...), int *result) {
    switch (command) {
    case F_SETOWN: {
        pid_t owner;
        *result = replayed_owner(F_OWNER_PID, (pid_t)(intptr_t)argument, &owner) ? real(fd, command, owner) : 0;
        return true;
    }
    case F_GETOWN:  /* -1 is an error, or group 1 */
        errno = 0;
        *result = real(fd, command);
        if (*result != -1 || errno == 0) *result = recorded_owner(F_OWNER_PID, *result);
        return true;
    case F_SETOWN_EX: {
        struct f_owner_ex owner = *(const struct f_owner_ex *)argument;
        *result = replayed_owner(owner.type, owner.pid, &owner.pid) ? real(fd, command, &owner) : 0;
        return true;
    }
    case F_GETOWN_EX:
        *result = real(fd, command, argument);
        if (*result == 0) {
            struct f_owner_ex *owner = argument;
            owner->pid = recorded_owner(owner->type, owner->pid);
        }
        return true;
    }
    return false;
}

/* F_DUPFD and F_DUPFD_CLOEXEC create a descriptor: a dup, sequenced and settled like one. The
 * lock commands are file locks (lock.c). Every other command is the real call (F_SETOWN and
 * F_GETOWN mapped at replay). */
#define FCNTL(real_fcntl)                                                                    \
    va_list arguments;                                                                       \
    va_start(arguments, command);                                                            \
    void *argument = va_arg(arguments, void *);                                              \
    va_end(arguments);                                                                       \
    if (command == F_DUPFD || command == F_DUPFD_CLOEXEC) {                                  \
        SEQUENCED_SETTLING(REPL_DUP, fd, real_fcntl(fd, command, argument), NULL, 0,          \
                           replayed = repl_settle(slot, replayed, (int)slot->call.result));         \
    }                                                                                        \
    int handled_result;                                                                      \
    if (repl_fcntl_lock(fd, command, argument, real_fcntl, &handled_result)) return handled_result; \
    if (repl_replaying() && replay_owner_command(fd, command, argument, real_fcntl, &handled_result)) \
        return handled_result;                                                               \
    return real_fcntl(fd, command, argument)

REPL_EXPORT int fcntl(int fd, int command, ...) {
    ENSURE(fcntl);
    FCNTL(repl_real.fcntl);
}

REPL_EXPORT int fcntl64(int fd, int command, ...) {
    ENSURE(fcntl64);
    FCNTL(repl_real.fcntl64);
}
