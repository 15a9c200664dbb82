/*
 * Descriptors: every call that creates or closes one (socket, socketpair, pipe, open, close,
 * dup, epoll_create). Linux hands out the lowest free number, so when these calls happen in the
 * recorded order in each process, every descriptor gets the number it had on the primary, and
 * the calls that name descriptors (reads, accepts, polls) find them.
 *
 * Acquire-like: the real call, then the number, with the result. At replay: the turn, then the
 * real call (the kind is checked; the numbers come out the same because the order is).
 */
#include "interpose.h"

#include <fcntl.h>
#include <stdarg.h>

#define ENSURE(name)                                                                         \
    do {                                                                                     \
        if (REPL_UNLIKELY(!repl_real.name)) repl_resolve();                                  \
    } while (0)

/* Runs `call` (an int expression) in its turn at replay, or records its result. */
#define SEQUENCED(kind, resource, call, payload, length)                                     \
    if (repl_replaying()) {                                                                  \
        repl_slot *slot = repl_turn(kind, 0, false);                                         \
        int replayed = (call);                                                               \
        if (slot) repl_turn_done(slot);                                                      \
        return replayed;                                                                     \
    }                                                                                        \
    int result = (call);                                                                     \
    if (repl_active())                                                                       \
        repl_record(kind, (uint64_t)(resource), result, result < 0 ? errno : 0, payload, result < 0 ? 0 : (length)); \
    return result

REPL_EXPORT int socket(int domain, int type, int protocol) {
    ENSURE(socket);
    SEQUENCED(REPL_SOCKET, domain, repl_real.socket(domain, type, protocol), NULL, 0);
}

REPL_EXPORT int socketpair(int domain, int type, int protocol, int fds[2]) {
    ENSURE(socketpair);
    SEQUENCED(REPL_SOCKETPAIR, domain, repl_real.socketpair(domain, type, protocol, fds), fds, 2 * sizeof(int));
}

REPL_EXPORT int pipe(int fds[2]) {
    ENSURE(pipe);
    SEQUENCED(REPL_PIPE, 0, repl_real.pipe(fds), fds, 2 * sizeof(int));
}

REPL_EXPORT int pipe2(int fds[2], int flags) {
    ENSURE(pipe2);
    SEQUENCED(REPL_PIPE, 1, repl_real.pipe2(fds, flags), fds, 2 * sizeof(int));
}

/* The mode argument exists when the flags create a file. */
static mode_t open_mode(int flags, va_list arguments) {
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(arguments, int) : 0;
}

REPL_EXPORT int open(const char *path, int flags, ...) {
    ENSURE(open);
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = open_mode(flags, arguments);
    va_end(arguments);
    SEQUENCED(REPL_OPEN, 0, repl_real.open(path, flags, mode), NULL, 0);
}

REPL_EXPORT int open64(const char *path, int flags, ...) {
    ENSURE(open64);
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = open_mode(flags, arguments);
    va_end(arguments);
    SEQUENCED(REPL_OPEN, 0, repl_real.open64(path, flags, mode), NULL, 0);
}

REPL_EXPORT int openat(int dirfd, const char *path, int flags, ...) {
    ENSURE(openat);
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = open_mode(flags, arguments);
    va_end(arguments);
    SEQUENCED(REPL_OPEN, 1, repl_real.openat(dirfd, path, flags, mode), NULL, 0);
}

REPL_EXPORT int openat64(int dirfd, const char *path, int flags, ...) {
    ENSURE(openat64);
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = open_mode(flags, arguments);
    va_end(arguments);
    SEQUENCED(REPL_OPEN, 1, repl_real.openat64(dirfd, path, flags, mode), NULL, 0);
}

REPL_EXPORT int close(int fd) {
    ENSURE(close);
    SEQUENCED(REPL_CLOSE, fd, repl_real.close(fd), NULL, 0);
}

REPL_EXPORT int dup(int fd) {
    ENSURE(dup);
    SEQUENCED(REPL_DUP, fd, repl_real.dup(fd), NULL, 0);
}

REPL_EXPORT int dup2(int fd, int target) {
    ENSURE(dup2);
    SEQUENCED(REPL_DUP, fd, repl_real.dup2(fd, target), NULL, 0);
}

REPL_EXPORT int dup3(int fd, int target, int flags) {
    ENSURE(dup3);
    SEQUENCED(REPL_DUP, fd, repl_real.dup3(fd, target, flags), NULL, 0);
}

REPL_EXPORT int epoll_create(int size) {
    ENSURE(epoll_create);
    SEQUENCED(REPL_EPOLL_CREATE, 0, repl_real.epoll_create(size), NULL, 0);
}

REPL_EXPORT int epoll_create1(int flags) {
    ENSURE(epoll_create1);
    SEQUENCED(REPL_EPOLL_CREATE, 1, repl_real.epoll_create1(flags), NULL, 0);
}
