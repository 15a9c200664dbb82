/*
 * File status of descriptors whose input is recorded (pipes, sockets, terminals, devices, the
 * files of /proc and /sys) and of the inherited outputs: fstat and fstat64, the __fxstat and
 * __fxstat64 of binaries built against glibc before 2.33, and isatty. Their times, sizes and
 * inodes are those of objects made anew at replay (pigz puts its input pipe's mtime into the gzip
 * header), and an inherited output may be a terminal on the primary and a file at replay, so
 * they are part of the recording. Acquire-like: the real call, then the number, with the status
 * as the payload. At replay the recorded status is returned. Regular files are the same at
 * replay: their status is the real one, unrecorded.
 */
#include "interpose.h"

#include <string.h>

/* The status of fd: recorded or replayed when its input is, the real one otherwise. Inlined,
 * so that the allocator check sees the wrapper's caller. */
static inline __attribute__((always_inline)) int file_status(int fd, struct stat *status, int (*real_status)(int, struct stat *, int), int version) {
    struct stat kind;
    bool recorded_kind = repl_status_is_recorded(fd, &kind);
    if (repl_replaying() && recorded_kind) {
        struct repl_piece piece = {status, sizeof *status};
        int64_t recorded;
        if (repl_replay_outcome(REPL_FSTAT, (uint64_t)fd, true, &piece, 1, &recorded)) return (int)recorded;
    }
    int result = real_status(fd, status, version);
    if (repl_active() && recorded_kind)
        repl_record(REPL_FSTAT, (uint64_t)fd, result, result ? errno : 0, status, result == 0 ? sizeof *status : 0);
    return result;
}

static int real_fstat(int fd, struct stat *status, int version) {
    return repl_real.fstat(fd, status);
}

static int real_fxstat(int fd, struct stat *status, int version) {
    return repl_real.__fxstat(version, fd, status);
}

REPL_EXPORT int fstat(int fd, struct stat *status) {
    ENSURE(fstat);
    return file_status(fd, status, real_fstat, 0);
}

REPL_EXPORT int fstat64(int fd, struct stat64 *status) {
    ENSURE(fstat);
    return file_status(fd, (struct stat *)status, real_fstat, 0);
}

REPL_EXPORT int __fxstat(int version, int fd, struct stat *status) {
    ENSURE(__fxstat);
    return file_status(fd, status, real_fxstat, version);
}

REPL_EXPORT int __fxstat64(int version, int fd, struct stat64 *status) {
    ENSURE(__fxstat);
    return file_status(fd, (struct stat *)status, real_fxstat, version);
}

REPL_EXPORT int isatty(int fd) {
    ENSURE(isatty);
    struct stat kind;
    bool recorded_kind = repl_status_is_recorded(fd, &kind);
    if (recorded_kind) REPLAY_RECORDED(REPL_ISATTY, (uint64_t)fd, NULL, 0, int);
    int result = repl_real.isatty(fd);
    if (repl_active() && recorded_kind) repl_record(REPL_ISATTY, (uint64_t)fd, result, result ? 0 : errno, NULL, 0);
    return result;
}
