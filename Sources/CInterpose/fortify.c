/*
 * The other names programs link the intercepted calls by: the fortified entry points that
 * _FORTIFY_SOURCE builds call (__read_chk, __open_2, ...: Debian builds its packages so), and
 * the 64-bit names of _FILE_OFFSET_BITS=64 builds (pread64, preadv64, pwrite64, pwritev64; open64 and openat64 are in
 * fd.c, fopen64 in stream.c). Each makes the check glibc's own makes, then goes through the
 * plain wrapper, so it is recorded and replayed as that call is, under that call's ordering rule.
 */
#include "interpose.h"

#include <fcntl.h>
#include <stdlib.h>

/* glibc's verdict on a buffer too small for the length asked (it aborts the program). */
extern void __chk_fail(void) __attribute__((noreturn));

#define CHECK_ROOM(length, room)                                                             \
    if (REPL_UNLIKELY((length) > (room))) __chk_fail()

/* Opening with a flag that needs a mode but passing none is a bug glibc stops at. */
static void check_open_flags(int flags) {
    if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
        repl_say("*** invalid open call: O_CREAT or O_TMPFILE without mode ***: terminated\n");
        abort();
    }
}

REPL_EXPORT ssize_t __read_chk(int fd, void *buffer, size_t length, size_t room) {
    CHECK_ROOM(length, room);
    return read(fd, buffer, length);
}

REPL_EXPORT ssize_t pread64(int fd, void *buffer, size_t length, off_t offset) {
    return pread(fd, buffer, length, offset);
}

REPL_EXPORT ssize_t preadv64(int fd, const struct iovec *iov, int count, off_t offset) {
    return preadv(fd, iov, count, offset);
}

REPL_EXPORT ssize_t pwrite64(int fd, const void *buffer, size_t length, off_t offset) {
    return pwrite(fd, buffer, length, offset);
}

REPL_EXPORT ssize_t pwritev64(int fd, const struct iovec *iov, int count, off_t offset) {
    return pwritev(fd, iov, count, offset);
}

REPL_EXPORT ssize_t __pread_chk(int fd, void *buffer, size_t length, off_t offset, size_t room) {
    CHECK_ROOM(length, room);
    return pread(fd, buffer, length, offset);
}

REPL_EXPORT ssize_t __pread64_chk(int fd, void *buffer, size_t length, off_t offset, size_t room) {
    CHECK_ROOM(length, room);
    return pread(fd, buffer, length, offset);
}

REPL_EXPORT ssize_t __recv_chk(int fd, void *buffer, size_t length, size_t room, int flags) {
    CHECK_ROOM(length, room);
    return recv(fd, buffer, length, flags);
}

REPL_EXPORT ssize_t __recvfrom_chk(int fd, void *buffer, size_t length, size_t room, int flags,
                                   struct sockaddr *address, socklen_t *address_length) {
    CHECK_ROOM(length, room);
    return recvfrom(fd, buffer, length, flags, address, address_length);
}

REPL_EXPORT int __poll_chk(struct pollfd *fds, nfds_t count, int timeout, size_t room) {
    CHECK_ROOM(count, room / sizeof *fds);
    return poll(fds, count, timeout);
}

REPL_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t count, const struct timespec *timeout, const sigset_t *mask,
                            size_t room) {
    CHECK_ROOM(count, room / sizeof *fds);
    return ppoll(fds, count, timeout, mask);
}

REPL_EXPORT int __open_2(const char *path, int flags) {
    check_open_flags(flags);
    return open(path, flags);
}

REPL_EXPORT int __open64_2(const char *path, int flags) {
    check_open_flags(flags);
    return open64(path, flags);
}

REPL_EXPORT int __openat_2(int dirfd, const char *path, int flags) {
    check_open_flags(flags);
    return openat(dirfd, path, flags);
}

REPL_EXPORT int __openat64_2(int dirfd, const char *path, int flags) {
    check_open_flags(flags);
    return openat64(dirfd, path, flags);
}
