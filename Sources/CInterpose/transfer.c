/*
 * Transfers the kernel makes between descriptors without the bytes passing through the
 * program: sendfile (and sendfile64), splice, tee and copy_file_range. (vmsplice, which moves
 * the program's memory into a pipe or a pipe's bytes into it, is a vector write or read: io.c.)
 *
 * They are writes whose bytes come from another descriptor, and follow the writes' rules (io.c):
 * a transfer that touches a pipe, socket or device of the recording is numbered after its
 * effect, with output commit first when it goes to a socket; its result and where it left the
 * offsets it was given (the payload: the source's, then the destination's, 8 bytes each, for the
 * pointers that were not NULL) are the message, followed, when the bytes came from a regular
 * file, by the fingerprint of those bytes (fingerprint.c), read back from the file: a replay
 * whose file holds other bytes there stops before moving them. One between regular files is the
 * same at replay and is made for real, unrecorded, as reads of regular files are.
 *
 * At replay the turn, then:
 *  - into a pipe or socket of the recording: not made (its reader takes its bytes from the log,
 *    and a stand-in for one of the primary's connections has no peer: nginx's sendfile of a
 *    static file to one failed with EPIPE and the worker closed the connection early); the
 *    recorded result, the offsets set as recorded, and a source file's own position moved as
 *    far as on the primary, since the program may read it or transfer from it again;
 *  - into a regular file or an output replplay inherited (its stdout, stderr), from a regular
 *    file: made for real, as far as on the primary;
 *  - into those from a pipe or socket: the bytes were never in the program's memory, so they are
 *    not in the log either; the replay stops there (divergence) rather than write other bytes,
 *    and the recording says so on standard error.
 */
#include "interpose.h"

#include <stdio.h>
#include <string.h>

/* A transfer's two ends and the offsets it was given (NULL: the descriptor's own position). */
struct transfer {
    uint16_t kind;
    int in, out;
    off64_t *in_offset, *out_offset;
    size_t length;
    struct stat in_info, out_info;
    bool in_recorded, out_recorded;
};

/* The message resource: both descriptors, so replay checks both. */
static uint64_t transfer_resource(const struct transfer *t) {
    return (uint64_t)(uint32_t)t->out | (uint64_t)(uint32_t)t->in << 32;
}

/* Classifies both ends; false when neither is recorded (a copy between regular files). */
static bool transfer_is_recorded(struct transfer *t) {
    t->in_recorded = repl_stat_is_recorded(t->in, &t->in_info);
    t->out_recorded = repl_stat_is_recorded(t->out, &t->out_info);
    return t->in_recorded || t->out_recorded;
}

/* The offsets after the call, as the payload holds them. */
static int offset_pieces(struct transfer *t, struct repl_piece pieces[2]) {
    int n = 0;
    if (t->in_offset) pieces[n++] = (struct repl_piece){t->in_offset, sizeof *t->in_offset};
    if (t->out_offset) pieces[n++] = (struct repl_piece){t->out_offset, sizeof *t->out_offset};
    return n;
}

/* Record: the bytes of a recorded source moved into a file or the program's stdout are not in
 * the log; said once per process, as a statically linked exec is. */
static void warn_unrecorded_bytes(struct transfer *t) {
    static bool warned;
    if (warned || !t->in_recorded || (t->out_recorded && !repl_is_inherited_output(&t->out_info))) return;
    warned = true;
    char line[200];
    if (snprintf(line, sizeof line, "replrec: warning: %s from a pipe or socket into a file or replrec's output: "
                 "the bytes are not recorded, and a replay stops there\n", repl_kind_name(t->kind)) > 0)
        repl_say(line);
}

/* Where the source's bytes start in its file, before the call (from its position after the call
 * when `moved` bytes have gone); -1 when the source is not a regular file. */
static off64_t source_start(const struct transfer *t, int64_t moved) {
    if (t->in_recorded || !S_ISREG(t->in_info.st_mode)) return -1;
    off64_t now = t->in_offset ? *t->in_offset : (off64_t)repl_syscall(SYS_lseek, t->in, 0, SEEK_CUR);
    return now < 0 ? -1 : now - moved;
}

/* Record, after the real call. */
static void record_transfer(struct transfer *t, ssize_t result, int error) {
    struct repl_piece pieces[3];
    int n = result >= 0 ? offset_pieces(t, pieces) : 0;
    uint8_t fingerprint[REPL_FINGERPRINT_SIZE];
    off64_t start = source_start(t, result > 0 ? result : 0);
    if (result >= 0 && start >= 0 && repl_fingerprint_file(t->in, start, t->length, result, fingerprint))
        pieces[n++] = (struct repl_piece){fingerprint, sizeof fingerprint};
    repl_record_pieces(t->kind, transfer_resource(t), result, result < 0 ? error : 0, pieces, n);
    if (t->out_recorded) repl_note_output();
    warn_unrecorded_bytes(t);
}

/* Moves a regular file's own position by `moved` bytes, where the primary's transfer moved it. */
static void move_position(int fd, const off64_t *offset, bool recorded, int64_t moved) {
    if (!offset && !recorded && moved > 0) repl_syscall(SYS_lseek, fd, (long)moved, SEEK_CUR);
}

/* Replay, before the transfer: the bytes of a regular source must be the recorded ones. The
 * payload is the offsets, then the fingerprint (absent in logs from before fingerprints), read
 * here in one piece. */
static void check_source(repl_slot *slot, struct transfer *t, uint8_t offsets[16], size_t offsets_length) {
    uint8_t recorded[REPL_FINGERPRINT_SIZE], seen[REPL_FINGERPRINT_SIZE] = {0};  /* nothing seen: unreadable */
    bool fingerprinted = slot->call.payload_length == offsets_length + sizeof recorded;
    if (!fingerprinted && slot->call.payload_length != offsets_length && slot->call.result >= 0)
        repl_stop(slot, t->kind, transfer_resource(t), REPL_STOP_DAMAGED, "a transfer's payload is %llu bytes, not %zu or %zu",
                  (unsigned long long)slot->call.payload_length, offsets_length, offsets_length + sizeof recorded);
    struct repl_piece pieces[2] = {{offsets, offsets_length}, {recorded, fingerprinted ? sizeof recorded : 0}};
    repl_turn_payload(slot, pieces, 2);
    if (!fingerprinted) return;
    off64_t start = source_start(t, 0);
    if (start < 0 || !repl_fingerprint_file(t->in, start, t->length, slot->call.result, seen) ||
        memcmp(seen, recorded, sizeof seen) != 0)
        repl_report_output(slot, t->kind, t->out, &t->out_info, REPL_POSITION_NONE, NULL, 0, recorded, seen);
}

/* Replay, in the turn. Returns the recorded result; `perform` makes the transfer for real for up
 * to `length` bytes. */
static ssize_t replay_transfer(repl_slot *slot, struct transfer *t, ssize_t (*perform)(struct transfer *, size_t)) {
    ssize_t recorded = (ssize_t)slot->call.result;
    uint8_t offsets[16];
    struct repl_piece pieces[2];
    int n = offset_pieces(t, pieces);
    size_t offsets_length = (size_t)n * sizeof(off64_t);
    if (recorded >= 0) check_source(slot, t, offsets, offsets_length);
    bool made_here = !t->out_recorded || repl_is_inherited_output(&t->out_info);
    if (made_here && t->in_recorded && recorded > 0) repl_diverge(slot, t->kind, transfer_resource(t));
    if (made_here && recorded > 0) {
        size_t done = 0;
        while (done < (size_t)recorded) {
            ssize_t moved = perform(t, (size_t)recorded - done);
            if (moved <= 0) repl_diverge(slot, t->kind, transfer_resource(t));  /* the file is not as recorded */
            done += (size_t)moved;
        }
        repl_note_output_made(&t->out_info, recorded);
    } else if (recorded > 0) {
        move_position(t->in, t->in_offset, t->in_recorded, recorded);
    }
    for (int i = 0; i < n && recorded >= 0; i++) memcpy((void *)pieces[i].data, offsets + i * sizeof(off64_t), sizeof(off64_t));
    return (ssize_t)repl_turn_complete(slot);
}

/* Live, to a stand-in for one of the primary's connections: its client is gone; the transfer
 * is dropped, as a write to one is (io.c), and the source moves as if it had been made. */
static ssize_t drop_transfer(struct transfer *t) {
    if (t->in_offset) *t->in_offset += (off64_t)t->length;
    move_position(t->in, t->in_offset, t->in_recorded, (int64_t)t->length);
    return (ssize_t)t->length;
}

/* One transfer, from the wrapper: `replaying` and `active` are taken there (the allocator check
 * needs the wrapper's caller). `perform` makes the real call for `length` bytes. */
static ssize_t transfer(struct transfer *t, bool replaying, bool active, ssize_t (*perform)(struct transfer *, size_t)) {
    if (replaying && transfer_is_recorded(t)) {
        REPL_GUARD();
        repl_slot *slot = repl_turn(t->kind, transfer_resource(t), true);
        if (slot) return replay_transfer(slot, t, perform);
        if (repl_is_stand_in(t->out)) return drop_transfer(t);
        return perform(t, t->length);
    }
    if (!active || !transfer_is_recorded(t)) return perform(t, t->length);
    if (t->out_recorded && S_ISSOCK(t->out_info.st_mode)) repl_commit_output();
    ssize_t result = perform(t, t->length);
    int error = errno;
    record_transfer(t, result, error);
    errno = error;
    return result;
}

/* ---- the calls --------------------------------------------------------------------------- */

/* sendfile's offset is an off_t (64 bits here, the same as sendfile64's off64_t). */
_Static_assert(sizeof(off_t) == sizeof(off64_t), "off_t is 64 bits");

static ssize_t perform_sendfile(struct transfer *t, size_t length) {
    return repl_real.sendfile(t->out, t->in, (off_t *)t->in_offset, length);
}

REPL_EXPORT ssize_t sendfile(int out, int in, off_t *offset, size_t count) {
    ENSURE(sendfile);
    struct transfer t = {.kind = REPL_SENDFILE, .in = in, .out = out, .in_offset = (off64_t *)offset, .length = count};
    return transfer(&t, repl_replaying(), repl_active(), perform_sendfile);
}

REPL_EXPORT ssize_t sendfile64(int out, int in, off64_t *offset, size_t count) {
    ENSURE(sendfile);
    struct transfer t = {.kind = REPL_SENDFILE, .in = in, .out = out, .in_offset = offset, .length = count};
    return transfer(&t, repl_replaying(), repl_active(), perform_sendfile);
}

/* splice and copy_file_range carry their flags in the transfer's own record of the call. */
struct flagged_transfer {
    struct transfer t;
    unsigned int flags;
};

static ssize_t perform_splice(struct transfer *t, size_t length) {
    return repl_real.splice(t->in, t->in_offset, t->out, t->out_offset, length, ((struct flagged_transfer *)t)->flags);
}

REPL_EXPORT ssize_t splice(int in, off64_t *in_offset, int out, off64_t *out_offset, size_t length, unsigned int flags) {
    ENSURE(splice);
    struct flagged_transfer f = {{.kind = REPL_SPLICE, .in = in, .out = out, .in_offset = in_offset, .out_offset = out_offset,
                                  .length = length},
                                 flags};
    return transfer(&f.t, repl_replaying(), repl_active(), perform_splice);
}

/* tee copies a pipe's bytes into another without consuming them: both ends are pipes. */
static ssize_t perform_tee(struct transfer *t, size_t length) {
    return repl_real.tee(t->in, t->out, length, ((struct flagged_transfer *)t)->flags);
}

REPL_EXPORT ssize_t tee(int in, int out, size_t length, unsigned int flags) {
    ENSURE(tee);
    struct flagged_transfer f = {{.kind = REPL_TEE, .in = in, .out = out, .length = length}, flags};
    return transfer(&f.t, repl_replaying(), repl_active(), perform_tee);
}

static ssize_t perform_copy_file_range(struct transfer *t, size_t length) {
    return repl_real.copy_file_range(t->in, t->in_offset, t->out, t->out_offset, length, ((struct flagged_transfer *)t)->flags);
}

REPL_EXPORT ssize_t copy_file_range(int in, off64_t *in_offset, int out, off64_t *out_offset, size_t length, unsigned int flags) {
    ENSURE(copy_file_range);
    struct flagged_transfer f = {{.kind = REPL_COPY_FILE_RANGE, .in = in, .out = out, .in_offset = in_offset,
                                  .out_offset = out_offset, .length = length},
                                 flags};
    return transfer(&f.t, repl_replaying(), repl_active(), perform_copy_file_range);
}
