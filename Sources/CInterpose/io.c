/*
 * Input and output: pipes, sockets, terminals, character devices (/dev/urandom), and the writes
 * to regular files. Regular files are the same at replay: their input is not recorded, but what
 * the program writes into them is checked (T1).
 *
 * Input is acquire-like: the real call, then the number, with the bytes read (or the ready
 * set, the peer address) as the payload. Writes, to anything, are numbered after their effect
 * too, with a fingerprint of their bytes as the payload: a write to a pipe can block until its
 * reader reads, and a thread must not hold an unpublished number while it waits on another
 * program thread (see interpose.h). Appends and writes to the inherited outputs are the
 * exception, numbered and made under one lock (WRITE).
 *
 * At replay, input comes from the log and is not read; writes are checked against their
 * fingerprints and performed only on regular files and the outputs replplay inherited (its
 * stdout and stderr), since the other end of every pipe and socket of the recording is replayed
 * too. Accept, connect and the other socket calls are in net.c.
 */
#include "interpose.h"

#include <errno.h>
#include <alloca.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The bytes a vector read returned: the first `total` bytes of the vector. */
static int vector_pieces(const struct iovec *iov, int count, size_t total, struct repl_piece *pieces) {
    int n = 0;
    for (int i = 0; i < count && total > 0; i++) {
        size_t length = iov[i].iov_len < total ? iov[i].iov_len : total;
        pieces[n++] = (struct repl_piece){iov[i].iov_base, length};
        total -= length;
    }
    return n;
}

/* Replays input into the iovec; false once promoted. */
static bool replay_vector(uint16_t kind, uint64_t resource, const struct iovec *iov, int count, ssize_t *result) {
    /* alloca, as when recording: the layer must not change the program's heap. */
    struct repl_piece *pieces = alloca(sizeof(struct repl_piece) * (size_t)(count > 0 ? count : 1));
    for (int i = 0; i < count; i++) pieces[i] = (struct repl_piece){iov[i].iov_base, iov[i].iov_len};
    int64_t recorded;
    bool replayed = repl_replay_input(kind, resource, pieces, count, (int64_t)repl_vector_length(iov, (size_t)(count > 0 ? count : 0)), &recorded);
    *result = (ssize_t)recorded;
    return replayed;
}

/* Replays input into one buffer; false once promoted. */
static bool replay_buffer(uint16_t kind, int fd, void *buffer, size_t length, ssize_t *result) {
    struct repl_piece piece = {buffer, length};
    int64_t recorded;
    if (!repl_replay_input(kind, (uint64_t)fd, &piece, 1, (int64_t)length, &recorded)) return false;
    *result = (ssize_t)recorded;
    return true;
}

static void record_vector(uint16_t kind, uint64_t resource, ssize_t result, const struct iovec *iov, int count) {
    struct repl_piece stack[16];
    struct repl_piece *pieces = stack;
    if (count > 16) pieces = alloca(sizeof(struct repl_piece) * (size_t)count);
    int n = result > 0 ? vector_pieces(iov, count, (size_t)result, pieces) : 0;
    repl_record_pieces(kind, resource, result, result < 0 ? errno : 0, pieces, n);
}

REPL_EXPORT ssize_t read(int fd, void *buffer, size_t length) {
    ENSURE(read);
    ssize_t result;
    if (repl_replaying() && repl_fd_is_recorded(fd) && replay_buffer(REPL_READ, fd, buffer, length, &result)) return result;
    result = repl_real.read(fd, buffer, length);
    if (repl_active() && repl_fd_is_recorded(fd))
        repl_record(REPL_READ, (uint64_t)fd, result, result < 0 ? errno : 0, buffer, result > 0 ? (size_t)result : 0);
    return result;
}

REPL_EXPORT ssize_t readv(int fd, const struct iovec *iov, int count) {
    ENSURE(readv);
    ssize_t result;
    if (repl_replaying() && repl_fd_is_recorded(fd) && replay_vector(REPL_READV, (uint64_t)fd, iov, count, &result)) return result;
    result = repl_real.readv(fd, iov, count);
    if (repl_active() && repl_fd_is_recorded(fd)) record_vector(REPL_READV, (uint64_t)fd, result, iov, count);
    return result;
}

REPL_EXPORT ssize_t pread(int fd, void *buffer, size_t length, off_t offset) {
    ENSURE(pread);
    ssize_t result;
    if (repl_replaying() && repl_fd_is_recorded(fd) && replay_buffer(REPL_PREAD, fd, buffer, length, &result)) return result;
    result = repl_real.pread(fd, buffer, length, offset);
    if (repl_active() && repl_fd_is_recorded(fd))
        repl_record(REPL_PREAD, (uint64_t)fd, result, result < 0 ? errno : 0, buffer, result > 0 ? (size_t)result : 0);
    return result;
}

REPL_EXPORT ssize_t preadv(int fd, const struct iovec *iov, int count, off_t offset) {
    ENSURE(preadv);
    ssize_t result;
    if (repl_replaying() && repl_fd_is_recorded(fd) && replay_vector(REPL_PREADV, (uint64_t)fd, iov, count, &result)) return result;
    result = repl_real.preadv(fd, iov, count, offset);
    if (repl_active() && repl_fd_is_recorded(fd)) record_vector(REPL_PREADV, (uint64_t)fd, result, iov, count);
    return result;
}

REPL_EXPORT ssize_t recv(int fd, void *buffer, size_t length, int flags) {
    ENSURE(recv);
    ssize_t result;
    if (repl_replaying() && replay_buffer(REPL_RECV, fd, buffer, length, &result)) return result;
    result = repl_real.recv(fd, buffer, length, flags);
    if (repl_active())
        repl_record(REPL_RECV, (uint64_t)fd, result, result < 0 ? errno : 0, buffer, result > 0 ? (size_t)result : 0);
    return result;
}

/* recvfrom's payload: the data (`result` bytes), then the sender's address. */
REPL_EXPORT ssize_t recvfrom(int fd, void *buffer, size_t length, int flags, struct sockaddr *address, socklen_t *address_length) {
    ENSURE(recvfrom);
    if (repl_replaying()) {
        REPL_GUARD();
        repl_slot *slot = repl_turn(REPL_RECVFROM, (uint64_t)fd, true);
        if (slot) {
            ssize_t result = (ssize_t)slot->call.result;
            int error = slot->call.error;
            size_t data = result > 0 ? (size_t)result : 0;
            if (result > (ssize_t)length || slot->call.payload_length < data)
                repl_stop(slot, REPL_RECVFROM, (uint64_t)fd, REPL_STOP_DAMAGED,
                          "the recorded result is %zd with %llu bytes of payload; the program's buffer holds %zu",
                          result, (unsigned long long)slot->call.payload_length, length);
            size_t recorded_address = (size_t)slot->call.payload_length - data;
            size_t room = address && address_length ? *address_length : 0;
            struct repl_piece pieces[2] = {{buffer, data}, {address, recorded_address < room ? recorded_address : room}};
            repl_turn_payload(slot, pieces, 2);
            if (address_length && result >= 0) *address_length = (socklen_t)recorded_address;
            repl_turn_done(slot);
            if (error) errno = error;
            return result;
        }
    }
    ssize_t result = repl_real.recvfrom(fd, buffer, length, flags, address, address_length);
    if (repl_active()) {
        size_t alen = (address && address_length && result >= 0) ? (size_t)*address_length : 0;
        struct repl_piece pieces[2] = {{buffer, result > 0 ? (size_t)result : 0}, {address, alen}};
        repl_record_pieces(REPL_RECVFROM, (uint64_t)fd, result, result < 0 ? errno : 0, pieces, 2);
    }
    return result;
}

/* recvmsg's payload: the data received, the sender's address, and what the kernel set in the
 * header (struct message_outcome). Logs from before the outcome was recorded hold the data only;
 * their replays leave the rest of the header as it was.
 *
 * A message that came with control messages (descriptors passed with SCM_RIGHTS, credentials)
 * is recorded in another layout, told by REPL_MESSAGE_WITH_CONTROL in the resource: the data,
 * struct control_outcome (fixed size, so it is read before the variable parts), the address, the
 * control bytes. At replay the control bytes are given back as recorded, and every descriptor
 * they pass is a stand-in at its recorded number (net.c): the sender is replayed too and sends
 * nothing, and the descriptor numbers the program then uses must exist. nginx's master passes
 * each new worker's channel to the workers started before it that way, and a worker that found
 * no descriptor in the message logged an error the recording did not have. */
struct message_outcome {
    uint32_t name_length;
    int32_t flags;
};

struct control_outcome {
    uint32_t name_length;
    int32_t flags;
    uint32_t control_length;
    uint32_t recorded_name;  /* the bytes of address in the payload (at most the room it had) */
};

#define REPL_MESSAGE_WITH_CONTROL (1ull << 32)

/* Replay: stand-ins for the descriptors the recorded control messages passed. */
static void place_passed_descriptors(struct msghdr *message, int flags) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(message); c; c = CMSG_NXTHDR(message, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0)) continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
            repl_place_stand_in(fd, (flags & MSG_CMSG_CLOEXEC) ? SOCK_CLOEXEC : 0);
        }
    }
}

/* The part after the data is taken in one piece (a payload is read once, in order) and then
 * parted: an address and control messages are small, so it goes on the stack. */
#define CONTROL_TAIL_LIMIT 65536

static void replay_message_with_control(repl_slot *slot, struct msghdr *message, int flags, ssize_t result) {
    size_t data = result > 0 ? (size_t)result : 0;
    size_t tail_length = (size_t)slot->call.payload_length - data;
    if (slot->call.payload_length < data || tail_length < sizeof(struct control_outcome) || tail_length > CONTROL_TAIL_LIMIT)
        repl_diverge(slot, REPL_RECVMSG, slot->call.resource);  /* not a payload this layer wrote */
    uint8_t *tail = alloca(tail_length);
    struct repl_piece *pieces = alloca(sizeof(struct repl_piece) * (message->msg_iovlen + 1));
    int n = vector_pieces(message->msg_iov, (int)message->msg_iovlen, data, pieces);
    pieces[n++] = (struct repl_piece){tail, tail_length};
    repl_turn_payload(slot, pieces, n);
    struct control_outcome outcome;
    memcpy(&outcome, tail, sizeof outcome);
    if ((size_t)outcome.recorded_name + outcome.control_length != tail_length - sizeof outcome)
        repl_diverge(slot, REPL_RECVMSG, slot->call.resource);
    size_t name_room = message->msg_name ? message->msg_namelen : 0;
    size_t control_room = message->msg_control ? message->msg_controllen : 0;
    size_t name = outcome.recorded_name < name_room ? outcome.recorded_name : name_room;
    size_t control = outcome.control_length < control_room ? outcome.control_length : control_room;
    if (name) memcpy(message->msg_name, tail + sizeof outcome, name);
    if (control) memcpy(message->msg_control, tail + sizeof outcome + outcome.recorded_name, control);
    message->msg_namelen = outcome.name_length;
    message->msg_flags = outcome.flags;
    message->msg_controllen = control;
    if (control < outcome.control_length) message->msg_flags |= MSG_CTRUNC;
    place_passed_descriptors(message, flags);
}

static bool replay_message(int fd, struct msghdr *message, int flags, ssize_t *result) {
    REPL_GUARD();
    repl_slot *slot = repl_turn(REPL_RECVMSG, (uint64_t)fd, false);
    if (!slot) return false;
    if ((slot->call.resource & ~REPL_MESSAGE_WITH_CONTROL) != (uint64_t)fd) repl_diverge(slot, REPL_RECVMSG, (uint64_t)fd);
    *result = (ssize_t)slot->call.result;
    size_t room = repl_vector_length(message->msg_iov, message->msg_iovlen);
    if (*result > (ssize_t)room || slot->call.payload_length < (uint64_t)(*result > 0 ? *result : 0))
        repl_stop(slot, REPL_RECVMSG, (uint64_t)fd, REPL_STOP_DAMAGED,
                  "the recorded result is %zd with %llu bytes of payload; the program's buffers hold %zu", *result,
                  (unsigned long long)slot->call.payload_length, room);
    if (slot->call.resource & REPL_MESSAGE_WITH_CONTROL) {
        replay_message_with_control(slot, message, flags, *result);
        repl_turn_complete(slot);
        return true;
    }
    size_t data = *result > 0 ? (size_t)*result : 0;
    size_t count = message->msg_iovlen, rest = (size_t)slot->call.payload_length - data;
    struct repl_piece *pieces = alloca(sizeof(struct repl_piece) * (count + 3));
    int n = vector_pieces(message->msg_iov, (int)count, data, pieces);
    struct message_outcome outcome = {0, 0};
    bool whole = rest >= sizeof outcome;
    if (whole) {
        size_t name = rest - sizeof outcome, room = message->msg_name ? message->msg_namelen : 0;
        pieces[n++] = (struct repl_piece){message->msg_name, name < room ? name : room};
        pieces[n++] = (struct repl_piece){NULL, name < room ? 0 : name - room};
        pieces[n++] = (struct repl_piece){&outcome, sizeof outcome};
    }
    repl_turn_payload(slot, pieces, n);
    if (whole && *result >= 0) {
        message->msg_namelen = outcome.name_length;
        message->msg_flags = outcome.flags;
        message->msg_controllen = 0;
    }
    repl_turn_complete(slot);
    return true;
}

REPL_EXPORT ssize_t recvmsg(int fd, struct msghdr *message, int flags) {
    ENSURE(recvmsg);
    ssize_t result;
    if (repl_replaying() && replay_message(fd, message, flags, &result)) return result;
    socklen_t room = message->msg_name ? message->msg_namelen : 0;  /* the kernel fills at most this */
    size_t control_room = message->msg_control ? message->msg_controllen : 0;
    result = repl_real.recvmsg(fd, message, flags);
    if (repl_active()) {
        int error = result < 0 ? errno : 0;
        size_t count = message->msg_iovlen;
        struct repl_piece *pieces = alloca(sizeof(struct repl_piece) * (count + 3));
        int n = result > 0 ? vector_pieces(message->msg_iov, (int)count, (size_t)result, pieces) : 0;
        size_t name = result >= 0 && message->msg_namelen < room ? message->msg_namelen : result >= 0 ? room : 0;
        size_t control = result < 0 ? 0 : message->msg_controllen < control_room ? message->msg_controllen : control_room;
        uint64_t resource = (uint64_t)fd;
        struct message_outcome outcome = {message->msg_namelen, message->msg_flags};
        struct control_outcome with_control = {message->msg_namelen, message->msg_flags, (uint32_t)control, (uint32_t)name};
        if (control > 0) {
            resource |= REPL_MESSAGE_WITH_CONTROL;
            pieces[n++] = (struct repl_piece){&with_control, sizeof with_control};
            pieces[n++] = (struct repl_piece){message->msg_name, name};
            pieces[n++] = (struct repl_piece){message->msg_control, control};
        } else if (result >= 0) {
            pieces[n++] = (struct repl_piece){message->msg_name, name};
            pieces[n++] = (struct repl_piece){&outcome, sizeof outcome};
        }
        repl_record_pieces(REPL_RECVMSG, resource, result, error, pieces, n);
    }
    return result;
}

/* Ready sets: poll's revents, select's three sets, epoll's events. */
static void record_poll(struct pollfd *fds, nfds_t count, int result) {
    struct repl_piece pieces[1] = {{fds, result >= 0 ? count * sizeof *fds : 0}};
    repl_record_pieces(REPL_POLL, count, result, result < 0 ? errno : 0, pieces, 1);
}

REPL_EXPORT int poll(struct pollfd *fds, nfds_t count, int timeout) {
    ENSURE(poll);
    struct repl_piece ready = {fds, count * sizeof *fds};
    int64_t recorded;
    if (repl_replaying() && repl_replay_input(REPL_POLL, count, &ready, 1, (int64_t)count, &recorded)) return (int)recorded;
    int result = repl_real.poll(fds, count, timeout);
    if (repl_active()) record_poll(fds, count, result);
    return result;
}

REPL_EXPORT int ppoll(struct pollfd *fds, nfds_t count, const struct timespec *timeout, const sigset_t *mask) {
    ENSURE(ppoll);
    struct repl_piece ready = {fds, count * sizeof *fds};
    int64_t recorded;
    if (repl_replaying() && repl_replay_input(REPL_POLL, count, &ready, 1, (int64_t)count, &recorded)) return (int)recorded;
    int result = repl_real.ppoll(fds, count, timeout, mask);
    if (repl_active()) record_poll(fds, count, result);
    return result;
}

static bool replay_select(int nfds, fd_set *r, fd_set *w, fd_set *e, int *result) {
    size_t bytes = nfds > 0 ? ((size_t)nfds + 7) / 8 : 0;
    fd_set scratch[3];
    struct repl_piece pieces[3] = {{r ? r : &scratch[0], bytes}, {w ? w : &scratch[1], bytes}, {e ? e : &scratch[2], bytes}};
    int64_t recorded;
    if (!repl_replay_input(REPL_SELECT, (uint64_t)nfds, pieces, 3, 3 * (int64_t)(nfds > 0 ? nfds : 0), &recorded)) return false;
    *result = (int)recorded;
    return true;
}

static void record_select(int nfds, fd_set *r, fd_set *w, fd_set *e, int result) {
    size_t bytes = result >= 0 && nfds > 0 ? ((size_t)nfds + 7) / 8 : 0;
    static const uint8_t none[sizeof(fd_set)];
    struct repl_piece pieces[3] = {{r ? (void *)r : none, bytes}, {w ? (void *)w : none, bytes}, {e ? (void *)e : none, bytes}};
    repl_record_pieces(REPL_SELECT, (uint64_t)nfds, result, result < 0 ? errno : 0, pieces, 3);
}

REPL_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout) {
    ENSURE(select);
    int result;
    if (repl_replaying() && replay_select(nfds, r, w, e, &result)) return result;
    result = repl_real.select(nfds, r, w, e, timeout);
    if (repl_active()) record_select(nfds, r, w, e, result);
    return result;
}

REPL_EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, const struct timespec *timeout, const sigset_t *mask) {
    ENSURE(pselect);
    int result;
    if (repl_replaying() && replay_select(nfds, r, w, e, &result)) return result;
    result = repl_real.pselect(nfds, r, w, e, timeout, mask);
    if (repl_active()) record_select(nfds, r, w, e, result);
    return result;
}

static void record_epoll(int epfd, struct epoll_event *events, int result) {
    repl_record(REPL_EPOLL_WAIT, (uint64_t)epfd, result, result < 0 ? errno : 0, events,
                result > 0 ? (size_t)result * sizeof *events : 0);
}

REPL_EXPORT int epoll_wait(int epfd, struct epoll_event *events, int max, int timeout) {
    ENSURE(epoll_wait);
    struct repl_piece ready = {events, max > 0 ? (size_t)max * sizeof *events : 0};
    int64_t recorded;
    if (repl_replaying() && repl_replay_input(REPL_EPOLL_WAIT, (uint64_t)epfd, &ready, 1, max, &recorded)) return (int)recorded;
    int result = repl_real.epoll_wait(epfd, events, max, timeout);
    if (repl_active()) record_epoll(epfd, events, result);
    return result;
}

REPL_EXPORT int epoll_pwait(int epfd, struct epoll_event *events, int max, int timeout, const sigset_t *mask) {
    ENSURE(epoll_pwait);
    struct repl_piece ready = {events, max > 0 ? (size_t)max * sizeof *events : 0};
    int64_t recorded;
    if (repl_replaying() && repl_replay_input(REPL_EPOLL_WAIT, (uint64_t)epfd, &ready, 1, max, &recorded)) return (int)recorded;
    int result = repl_real.epoll_pwait(epfd, events, max, timeout, mask);
    if (repl_active()) record_epoll(epfd, events, result);
    return result;
}

/* ---- writes: numbered, with a fingerprint of their bytes (fingerprint.c) ---------------- */

/* Whether a write to fd (a regular file) appends: O_APPEND. Processes that share a log file
 * (nginx's master and workers, a shell's `>>`) append to it in an order only the log can repeat:
 * such writes are numbered and made under a lock across the recording's processes, so that their
 * order in the log is their order in the file. */
static bool appends(int fd, const struct stat *info) {
    if (!S_ISREG(info->st_mode)) return false;
    long flags = repl_syscall(SYS_fcntl, fd, F_GETFL, 0);
    return flags >= 0 && (flags & O_APPEND) != 0;
}

/* A write, from one look at the descriptor; `iov` and `count` are the bytes the program hands,
 * `position` where they land in a regular file (for the report). Every write is numbered and
 * carries its fingerprint, so that a replay that would write other bytes stops at the first.
 *
 * Replay: the turn; the fingerprint checked; the real write only on an inherited output or a
 * regular file (the other end of every pipe and socket of the recording is replayed too); the
 * recorded result. Once live, an answer to a connection that was the primary's is dropped: its
 * client is gone.
 *
 * Record: output commit before a socket write; the number after the effect, or, for an append
 * or an inherited output (which every process of the recording may share), taken and the write
 * made under the append lock, so that the order of the log is the order of the bytes (the write
 * waits for no program thread: a file's ends by itself, and an inherited output's reader is
 * outside the recording). The inherited outputs are numbered whatever they are: the recording
 * and the replay number the same writes even when one's output is a file and the other's a
 * pipe. */
#define WRITE(kind, fd, iov, count, position, real_write)                                    \
    struct stat info_;                                                                       \
    if (repl_replaying()) {                                                                  \
        bool made_ = !repl_stat_is_recorded(fd, &info_) || repl_is_inherited_output(&info_); \
        {                                                                                    \
            REPL_GUARD();                                                                    \
            repl_slot *slot = repl_turn(kind, (uint64_t)(fd), true);                         \
            if (slot) {                                                                      \
                repl_check_output(slot, kind, fd, &info_, position, iov, count);             \
                if (made_) (void)(real_write);                                               \
                return (ssize_t)repl_turn_complete(slot);                                    \
            }                                                                                \
            if (repl_is_stand_in(fd)) return (ssize_t)repl_vector_length(iov, count);        \
        }                                                                                    \
        return (real_write);                                                                 \
    }                                                                                        \
    if (!repl_active()) return (real_write);                                                 \
    bool recorded_ = repl_stat_is_recorded(fd, &info_);                                      \
    if (recorded_ && S_ISSOCK(info_.st_mode)) repl_commit_output();                          \
    ssize_t result;                                                                          \
    int error;                                                                               \
    uint8_t fingerprint_[REPL_FINGERPRINT_SIZE];                                             \
    struct repl_piece piece_ = {fingerprint_, sizeof fingerprint_};                          \
    if (repl_is_inherited_output(&info_) || (!recorded_ && appends(fd, &info_))) {           \
        REPL_GUARD();                                                                        \
        repl_lock_appends();                                                                 \
        uint64_t sequence = repl_take(kind);                                                 \
        result = (real_write);                                                               \
        error = result < 0 ? errno : 0;                                                      \
        repl_unlock_appends();                                                               \
        repl_fingerprint_vector(iov, count, result, fingerprint_);                           \
        repl_publish(sequence, kind, (uint64_t)(fd), result, error, &piece_, 1);             \
    } else {                                                                                 \
        result = (real_write);                                                               \
        error = result < 0 ? errno : 0;                                                      \
        repl_fingerprint_vector(iov, count, result, fingerprint_);                           \
        repl_record_pieces(kind, (uint64_t)(fd), result, error, &piece_, 1);                 \
        if (recorded_) repl_note_output();                                                   \
    }                                                                                        \
    if (error) errno = error;                                                                \
    return result

REPL_EXPORT ssize_t write(int fd, const void *buffer, size_t length) {
    ENSURE(write);
    struct iovec bytes = {(void *)buffer, length};
    WRITE(REPL_WRITE, fd, &bytes, 1, REPL_POSITION_CURRENT, repl_real.write(fd, buffer, length));
}

REPL_EXPORT ssize_t writev(int fd, const struct iovec *iov, int count) {
    ENSURE(writev);
    size_t pieces = count > 0 ? (size_t)count : 0;
    WRITE(REPL_WRITEV, fd, iov, pieces, REPL_POSITION_CURRENT, repl_real.writev(fd, iov, count));
}

/* pwrite and pwritev write regular files (a pipe or socket answers ESPIPE). The 64 forms are in
 * fortify.c, with pread64's. */
REPL_EXPORT ssize_t pwrite(int fd, const void *buffer, size_t length, off_t offset) {
    ENSURE(pwrite);
    struct iovec bytes = {(void *)buffer, length};
    WRITE(REPL_PWRITE, fd, &bytes, 1, offset, repl_real.pwrite(fd, buffer, length, offset));
}

REPL_EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int count, off_t offset) {
    ENSURE(pwritev);
    size_t pieces = count > 0 ? (size_t)count : 0;
    WRITE(REPL_PWRITEV, fd, iov, pieces, offset, repl_real.pwritev(fd, iov, count, offset));
}

REPL_EXPORT ssize_t send(int fd, const void *buffer, size_t length, int flags) {
    ENSURE(send);
    struct iovec bytes = {(void *)buffer, length};
    WRITE(REPL_SEND, fd, &bytes, 1, REPL_POSITION_NONE, repl_real.send(fd, buffer, length, flags));
}

REPL_EXPORT ssize_t sendto(int fd, const void *buffer, size_t length, int flags, const struct sockaddr *to, socklen_t to_length) {
    ENSURE(sendto);
    struct iovec bytes = {(void *)buffer, length};
    WRITE(REPL_SEND, fd, &bytes, 1, REPL_POSITION_NONE, repl_real.sendto(fd, buffer, length, flags, to, to_length));
}

REPL_EXPORT ssize_t sendmsg(int fd, const struct msghdr *message, int flags) {
    ENSURE(sendmsg);
    WRITE(REPL_SENDMSG, fd, message->msg_iov, message->msg_iovlen, REPL_POSITION_NONE, repl_real.sendmsg(fd, message, flags));
}

/* vmsplice moves the program's memory into a pipe: a writev. From a pipe's read end it moves the
 * pipe's bytes into memory: a readv, whose bytes are the payload (resource: the descriptor, with
 * this bit). */
#define VMSPLICE_FROM_PIPE (1ull << 32)

REPL_EXPORT ssize_t vmsplice(int fd, const struct iovec *iov, size_t count, unsigned int flags) {
    ENSURE(vmsplice);
    long mode = repl_syscall(SYS_fcntl, fd, F_GETFL, 0);
    if (mode < 0 || (mode & O_ACCMODE) != O_RDONLY) {
        WRITE(REPL_VMSPLICE, fd, iov, count, REPL_POSITION_NONE, repl_real.vmsplice(fd, iov, count, flags));
    }
    uint64_t resource = (uint64_t)(uint32_t)fd | VMSPLICE_FROM_PIPE;
    ssize_t result;
    if (repl_replaying() && replay_vector(REPL_VMSPLICE, resource, iov, (int)count, &result)) return result;
    result = repl_real.vmsplice(fd, iov, count, flags);
    if (repl_active()) record_vector(REPL_VMSPLICE, resource, result, iov, (int)count);
    return result;
}
