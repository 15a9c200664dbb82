/*
 * File locks: flock, lockf, and fcntl's record locks (F_SETLK, F_SETLKW, F_GETLK, and their
 * open-file-description forms F_OFD_*; fd.c hands those commands here). Whether a request gets
 * its lock, and what F_GETLK finds, depend on what other processes hold at that moment.
 *
 * Acquire-like, as mutexes are (sync.c): a request is numbered after its real call, holding the
 * lock it got; an unlock is a pure release, seen only through a later request, so it is the
 * real call and takes no number. A test (F_GETLK, lockf's F_TEST) is numbered after it looked,
 * with what it found.
 *
 * Replay: a request's turn, then, when the primary got the lock, the real lock: a standby that
 * goes live, or a process outside the recording, must find it held as the program believes it
 * is. The previous holder releases without a turn, or by a close or an exit whose turn is done
 * before its effect, so the request waits for it, briefly; a lock still held after that is held
 * outside the replay, which stops there with a divergence. A request that failed on the primary
 * fails again with its recorded errno, without a real call; a test returns what the primary
 * found.
 */
#include "interpose.h"

#include <fcntl.h>
#include <sys/file.h>

/* One request, through whichever interface the program used. */
struct lock_request {
    enum { BY_FLOCK, BY_FCNTL, BY_LOCKF } interface;
    int fd;
    int operation; /* flock's operation, fcntl's command, or lockf's */
    struct flock *region;          /* fcntl */
    off_t length;                  /* lockf */
    int (*real_fcntl)(int, int, ...); /* fcntl or fcntl64, as the program called */
};

/* The message resource: the descriptor, and how it was asked (checked at replay). */
static uint64_t lock_resource(const struct lock_request *request) {
    uint32_t how = (uint32_t)request->operation;
    if (request->interface == BY_FCNTL) how = how << 4 | (uint32_t)request->region->l_type;
    return (uint32_t)request->fd | (uint64_t)how << 32;
}

/* The real request; `without_waiting` makes a waiting one a try. */
static int attempt(const struct lock_request *request, bool without_waiting) {
    int operation = request->operation;
    switch (request->interface) {
    case BY_FLOCK:
        return repl_real.flock(request->fd, without_waiting ? operation | LOCK_NB : operation);
    case BY_LOCKF:
        return repl_real.lockf(request->fd, without_waiting && operation == F_LOCK ? F_TLOCK : operation, request->length);
    case BY_FCNTL:
        if (without_waiting) operation = operation == F_SETLKW ? F_SETLK : operation == F_OFD_SETLKW ? F_OFD_SETLK : operation;
        return request->real_fcntl(request->fd, operation, request->region);
    }
    return -1;
}

/* How long a replayed request waits for the previous holder's release before the lock counts as
 * held outside the replay. */
#define RELEASE_WAIT_NS (5ll * 1000 * 1000 * 1000)

/* Replay: makes the lock the primary got, holding the turn. */
static void lock_as_recorded(repl_slot *slot, uint16_t kind, const struct lock_request *request) {
    struct timespec pause_time = {0, 1000 * 1000};
    for (long long waited = 0;; waited += pause_time.tv_nsec) {
        if (attempt(request, true) == 0) return;
        bool held = errno == EAGAIN || errno == EACCES || errno == EINTR;
        if (!held || waited >= RELEASE_WAIT_NS) {
            char line[200];
            snprintf(line, sizeof line,
                     "replplay: sequence %llu: the primary got a file lock on descriptor %d that the replay cannot "
                     "take (%s); the file is locked outside the replay, or is another file\n",
                     (unsigned long long)repl_turn_sequence(slot), request->fd,
                     held ? "still held after 5 s" : strerror(errno));
            repl_say(line);
            repl_diverge(slot, kind, lock_resource(request));
        }
        repl_syscall(SYS_nanosleep, &pause_time, NULL);
    }
}

/* A request that is not an unlock, at its turn or recorded. Inlined, as the checks of whether to
 * record look at the wrapper's caller. */
static inline __attribute__((always_inline)) int request_lock(uint16_t kind, const struct lock_request *request) {
    uint64_t resource = lock_resource(request);
    if (repl_replaying()) {
        REPL_GUARD();
        repl_slot *slot = repl_turn(kind, resource, true);
        if (slot) {
            if (slot->call.result == 0) lock_as_recorded(slot, kind, request);
            return (int)repl_turn_complete(slot);
        }
    }
    int result = attempt(request, false);
    if (repl_active()) repl_record(kind, resource, result, result ? errno : 0, NULL, 0);
    return result;
}

/* F_GETLK, F_OFD_GETLK and lockf's F_TEST: what the primary found (for fcntl, the region,
 * rewritten to the conflicting lock or to F_UNLCK). */
static inline __attribute__((always_inline)) int test_lock(const struct lock_request *request) {
    uint64_t resource = lock_resource(request);
    size_t size = request->region ? sizeof *request->region : 0;
    REPLAY_RECORDED(REPL_FILE_LOCK_TEST, resource, request->region, size, int);
    int result = attempt(request, false);
    if (repl_active()) repl_record(REPL_FILE_LOCK_TEST, resource, result, result ? errno : 0, request->region, result ? 0 : size);
    return result;
}

bool repl_fcntl_lock(int fd, int command, void *argument, int (*real_fcntl)(int, int, ...), int *result) {
    struct lock_request request = {.interface = BY_FCNTL, .fd = fd, .operation = command, .region = argument,
                                   .real_fcntl = real_fcntl};
    switch (command) {
    case F_GETLK:
    case F_OFD_GETLK:
        *result = argument ? test_lock(&request) : real_fcntl(fd, command, argument);
        return true;
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
        if (!argument || request.region->l_type == F_UNLCK) return false;  /* a release: the real call */
        *result = request_lock(REPL_RECORD_LOCK, &request);
        return true;
    }
    return false;
}

REPL_EXPORT int flock(int fd, int operation) {
    ENSURE(flock);
    if (operation & LOCK_UN) return repl_real.flock(fd, operation);
    struct lock_request request = {.interface = BY_FLOCK, .fd = fd, .operation = operation};
    return request_lock(REPL_FLOCK, &request);
}

static int lock_file(int fd, int command, off_t length) {
    struct lock_request request = {.interface = BY_LOCKF, .fd = fd, .operation = command, .length = length};
    switch (command) {
    case F_LOCK:
    case F_TLOCK:
        return request_lock(REPL_RECORD_LOCK, &request);
    case F_TEST:
        return test_lock(&request);
    }
    return repl_real.lockf(fd, command, length);  /* F_ULOCK, or not a command */
}

REPL_EXPORT int lockf(int fd, int command, off_t length) {
    ENSURE(lockf);
    return lock_file(fd, command, length);
}

/* off_t is 64 bits here: lockf64 is lockf. */
REPL_EXPORT int lockf64(int fd, int command, off64_t length) {
    ENSURE(lockf);
    return lock_file(fd, command, length);
}
