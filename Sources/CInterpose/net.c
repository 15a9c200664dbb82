/*
 * Sockets: accept, connect, bind, listen, the names of both ends, and options.
 *
 * Record: the real call, then the number, with what the program learnt (the peer's address,
 * an option's value) as the payload.
 *
 * Replay: the network belongs to the primary. Accepted connections are stand-ins at their
 * recorded numbers: one end of a socket pair whose other end is already closed, so the program
 * can poll it and set options on it, and once live reads end-of-file from it (the primary's
 * clients reconnect); what it writes to one once live is dropped (io.c), not a SIGPIPE. bind and listen are only noted, so a backup can run on its primary's own
 * host; at promotion the noted sockets are bound and listen for real (repl_sockets_go_live).
 * A Unix socket bound to a path is the exception: its bind is made at replay, for the file it
 * makes (replay_bind), but it listens only once live.
 * setsockopt is applied (it shapes the socket that goes live) but answers as recorded; names and
 * getsockopt answer from the log.
 */
#include "interpose.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

/* ---- sockets noted at replay (bound or listening on the primary) ------------------------ */

struct noted_socket {
    int fd;  /* -1: a free entry */
    int backlog;
    bool listening;
    bool bound;  /* bound for real at replay already (a path in the file system) */
    socklen_t length;
    struct sockaddr_storage address;
};

/* A fixed table, not the heap: the layer must not change the program's allocations. Entries are
 * freed when their socket is closed; a table full of live ones stops the replay (a socket left
 * out would not listen once live). */
#define NOTED_SOCKETS 1024
static struct noted_socket noted[NOTED_SOCKETS];
static int noted_count;

static struct noted_socket *noted_socket(int fd, bool create) {
    struct noted_socket *free_entry = NULL;
    for (int i = 0; i < noted_count; i++) {
        if (noted[i].fd == fd) return &noted[i];
        if (noted[i].fd < 0 && !free_entry) free_entry = &noted[i];
    }
    if (!create) return NULL;
    if (!free_entry && noted_count < NOTED_SOCKETS) free_entry = &noted[noted_count++];
    if (!free_entry) repl_fail_stop("more than 1024 sockets bound at once in one process");
    *free_entry = (struct noted_socket){.fd = fd};
    return free_entry;
}

/* Descriptors that hold stand-ins for the primary's connections. */
#define STAND_IN_LIMIT 65536
static uint64_t stand_ins[STAND_IN_LIMIT / 64];

static void mark_stand_in(int fd, bool is_stand_in) {
    if (fd < 0 || fd >= STAND_IN_LIMIT) {
        if (is_stand_in) repl_fail_stop("a stand-in for a recorded connection got a descriptor above 65535");
        return;
    }
    if (is_stand_in) stand_ins[fd / 64] |= 1ull << (fd % 64);
    else stand_ins[fd / 64] &= ~(1ull << (fd % 64));
}

bool repl_is_stand_in(int fd) {
    return fd >= 0 && fd < STAND_IN_LIMIT && (stand_ins[fd / 64] >> (fd % 64)) & 1;
}

void repl_forget_socket(int fd) {
    struct noted_socket *entry = noted_socket(fd, false);
    if (entry) entry->fd = -1;
    mark_stand_in(fd, false);
}

static void report_live_failure(const char *call, int fd) {
    char line[160];
    if (snprintf(line, sizeof line, "replplay: live: %s on descriptor %d failed: %s\n", call, fd, strerror(errno)) > 0)
        repl_say(line);
}

void repl_sockets_go_live(void) {
    ENSURE(bind);
    for (int i = 0; i < noted_count; i++) {
        struct noted_socket *entry = &noted[i];
        if (entry->fd < 0) continue;
        if (!entry->bound && repl_real.bind(entry->fd, (struct sockaddr *)&entry->address, entry->length) != 0) {
            report_live_failure("bind", entry->fd);
            continue;
        }
        if (entry->listening && repl_real.listen(entry->fd, entry->backlog) != 0) report_live_failure("listen", entry->fd);
    }
}

/* ---- accept and connect ------------------------------------------------------------------ */

static void record_accept(int fd, int result, struct sockaddr *address, socklen_t *address_length) {
    size_t alen = (address && address_length && result >= 0) ? *address_length : 0;
    repl_record(REPL_ACCEPT, (uint64_t)fd, result, result < 0 ? errno : 0, address, alen);
}

/* Puts a stand-in for an accepted connection (or a passed descriptor) at `fd`: a socket whose
 * peer is gone. */
void repl_place_stand_in(int fd, int flags) {
    int pair[2];
    if (repl_real.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return;
    repl_real.close(pair[1]);
    if (pair[0] != fd) {
        repl_real.dup3(pair[0], fd, (flags & SOCK_CLOEXEC) ? O_CLOEXEC : 0);
        repl_real.close(pair[0]);
    } else if (!(flags & SOCK_CLOEXEC)) {
        repl_real.fcntl(fd, F_SETFD, 0);
    }
    if (flags & SOCK_NONBLOCK) repl_real.fcntl(fd, F_SETFL, repl_real.fcntl(fd, F_GETFL) | O_NONBLOCK);
    mark_stand_in(fd, true);
}

static bool replay_accept(int fd, struct sockaddr *address, socklen_t *address_length, int flags, int *result) {
    REPL_GUARD();
    repl_slot *slot = repl_turn(REPL_ACCEPT, (uint64_t)fd, true);
    if (!slot) return false;
    int error = slot->call.error;
    *result = (int)slot->call.result;
    size_t room = address && address_length ? *address_length : 0;
    struct repl_piece piece = {address, slot->call.payload_length < room ? (size_t)slot->call.payload_length : room};
    repl_turn_payload(slot, &piece, 1);
    if (*result >= 0) {
        if (address_length) *address_length = (socklen_t)slot->call.payload_length;
        repl_place_stand_in(*result, flags);
    }
    repl_turn_done(slot);
    if (error) errno = error;
    return true;
}

REPL_EXPORT int accept(int fd, struct sockaddr *address, socklen_t *address_length) {
    ENSURE(accept);
    int result;
    if (repl_replaying() && replay_accept(fd, address, address_length, 0, &result)) return result;
    result = repl_real.accept(fd, address, address_length);
    if (repl_active()) record_accept(fd, result, address, address_length);
    return result;
}

REPL_EXPORT int accept4(int fd, struct sockaddr *address, socklen_t *address_length, int flags) {
    ENSURE(accept4);
    int result;
    if (repl_replaying() && replay_accept(fd, address, address_length, flags, &result)) return result;
    result = repl_real.accept4(fd, address, address_length, flags);
    if (repl_active()) record_accept(fd, result, address, address_length);
    return result;
}

REPL_EXPORT int connect(int fd, const struct sockaddr *address, socklen_t address_length) {
    ENSURE(connect);
    int64_t recorded;
    if (repl_replaying() && repl_replay_outcome(REPL_CONNECT, (uint64_t)fd, true, NULL, 0, &recorded)) return (int)recorded;
    int result = repl_real.connect(fd, address, address_length);
    if (repl_active()) repl_record(REPL_CONNECT, (uint64_t)fd, result, result ? errno : 0, NULL, 0);
    return result;
}

/* ---- bind and listen: noted at replay, real at promotion -------------------------------- */

/* Whether `address` names a Unix socket by a path: its bind makes a file, not a claim on the
 * network (abstract names and autobind make none). */
static bool names_a_path(const struct sockaddr *address, socklen_t length) {
    const struct sockaddr_un *unix_address = (const struct sockaddr_un *)address;
    return address && length > offsetof(struct sockaddr_un, sun_path) && address->sa_family == AF_UNIX &&
           unix_address->sun_path[0] != '\0';
}

/* A bind that succeeded on the primary. A network address is only noted: the primary, or
 * whoever holds the port, keeps it. A Unix path is bound for real: the bind's effect the
 * program relies on is the socket file (postgres chmods and stats it, unlinks it at exit), a
 * file of the recording like the regular files replay writes. The socket does not listen until
 * promotion, so nobody outside can connect to it (ECONNREFUSED). When the path is taken (a
 * primary on the same host still holds it), it stays only noted, as before. */
static void replay_bind(int fd, const struct sockaddr *address, socklen_t length) {
    struct noted_socket *entry = length <= sizeof entry->address ? noted_socket(fd, true) : NULL;
    if (!entry) return;
    memcpy(&entry->address, address, length);
    entry->length = length;
    entry->bound = names_a_path(address, length) && repl_real.bind(fd, address, length) == 0;
}

REPL_EXPORT int bind(int fd, const struct sockaddr *address, socklen_t length) {
    ENSURE(bind);
    if (repl_replaying()) {
        REPL_GUARD();
        repl_slot *slot = repl_turn(REPL_BIND, (uint64_t)fd, true);
        if (slot) {
            if (slot->call.result == 0) replay_bind(fd, address, length);
            return (int)repl_turn_complete(slot);
        }
    }
    int result = repl_real.bind(fd, address, length);
    if (repl_active()) repl_record(REPL_BIND, (uint64_t)fd, result, result ? errno : 0, NULL, 0);
    return result;
}

REPL_EXPORT int listen(int fd, int backlog) {
    ENSURE(listen);
    if (repl_replaying()) {
        REPL_GUARD();
        repl_slot *slot = repl_turn(REPL_LISTEN, (uint64_t)fd, true);
        if (slot) {
            struct noted_socket *entry = slot->call.result == 0 ? noted_socket(fd, false) : NULL;
            if (entry) {
                entry->listening = true;
                entry->backlog = backlog;
            }
            return (int)repl_turn_complete(slot);
        }
    }
    int result = repl_real.listen(fd, backlog);
    if (repl_active()) repl_record(REPL_LISTEN, (uint64_t)fd, result, result ? errno : 0, NULL, 0);
    return result;
}

/* ---- names and options ------------------------------------------------------------------- */

/* A call that fills a buffer and its length (an address, an option value): replayed from the
 * payload, recorded with what the call wrote. */
#define NAMED_OUTCOME(kind, fd, buffer, length, real_call)                                       \
    if (repl_replaying()) {                                                                  \
        REPL_GUARD();                                                                        \
        repl_slot *slot = repl_turn(kind, (uint64_t)(fd), true);                             \
        if (slot) {                                                                          \
            size_t room = (buffer) && (length) ? (size_t)*(length) : 0;                      \
            struct repl_piece piece = {(buffer), slot->call.payload_length < room ? (size_t)slot->call.payload_length : room}; \
            repl_turn_payload(slot, &piece, 1);                                              \
            if (slot->call.result == 0 && (length)) *(length) = (socklen_t)slot->call.payload_length;  \
            return (int)repl_turn_complete(slot);                                            \
        }                                                                                    \
    }                                                                                        \
    int result = (real_call);                                                                     \
    if (repl_active()) {                                                                     \
        size_t filled = result == 0 && (buffer) && (length) ? (size_t)*(length) : 0;         \
        size_t room = (buffer) && (length) ? (size_t)*(length) : 0;                          \
        repl_record(kind, (uint64_t)(fd), result, result ? errno : 0, (buffer), filled < room ? filled : room); \
    }                                                                                        \
    return result

REPL_EXPORT int getsockname(int fd, struct sockaddr *restrict address, socklen_t *restrict length) {
    ENSURE(getsockname);
    NAMED_OUTCOME(REPL_GETSOCKNAME, fd, address, length, repl_real.getsockname(fd, address, length));
}

REPL_EXPORT int getpeername(int fd, struct sockaddr *restrict address, socklen_t *restrict length) {
    ENSURE(getpeername);
    NAMED_OUTCOME(REPL_GETPEERNAME, fd, address, length, repl_real.getpeername(fd, address, length));
}

REPL_EXPORT int getsockopt(int fd, int level, int name, void *restrict value, socklen_t *restrict length) {
    ENSURE(getsockopt);
    NAMED_OUTCOME(REPL_GETSOCKOPT, fd, value, length, repl_real.getsockopt(fd, level, name, value, length));
}

REPL_EXPORT int setsockopt(int fd, int level, int name, const void *value, socklen_t length) {
    ENSURE(setsockopt);
    if (repl_replaying()) {
        REPL_GUARD();
        repl_slot *slot = repl_turn(REPL_SETSOCKOPT, (uint64_t)fd, true);
        if (slot) {
            (void)repl_real.setsockopt(fd, level, name, value, length);
            return (int)repl_turn_complete(slot);
        }
    }
    int result = repl_real.setsockopt(fd, level, name, value, length);
    if (repl_active()) repl_record(REPL_SETSOCKOPT, (uint64_t)fd, result, result ? errno : 0, NULL, 0);
    return result;
}
