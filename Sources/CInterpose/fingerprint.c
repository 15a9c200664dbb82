/*
 * Output fingerprints (T1). Every write-like call's message carries the length the program
 * handed to the call and a CRC-32C of the bytes the call wrote (REPL_FINGERPRINT_SIZE). At
 * replay the bytes the program hands at that turn are fingerprinted before anything is written,
 * whether the write is made (an inherited output, a regular file) or not (the recording's pipes
 * and sockets): a replay that would put other bytes out stops at the first such write, with a
 * report that names the descriptor, both lengths, the bytes it found and, where the recorded
 * bytes are at hand, the first differing byte: the file the write overwrites still holds them,
 * or it is replplay's standard output and the recording's was captured (--recorded-output).
 *
 * The CRC is the log's own (hardware on x86-64 and AArch64): two different writes of the same
 * length go unseen with a chance of one in 2^32.
 */
#include "interpose.h"

#include <CCRC32C.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

REPL_NO_HEAP

_Static_assert(sizeof(struct iovec) == sizeof(struct repl_piece) &&
                   offsetof(struct iovec, iov_len) == offsetof(struct repl_piece, length),
               "an iovec is read as a repl_piece");

size_t repl_vector_length(const struct iovec *iov, size_t count) {
    size_t total = 0;
    for (size_t i = 0; i < count; i++) total += iov[i].iov_len;
    return total;
}

static uint32_t vector_crc(const struct iovec *iov, size_t count, size_t bytes) {
    uint32_t crc = 0;
    for (size_t i = 0; i < count && bytes > 0; i++) {
        size_t n = iov[i].iov_len < bytes ? iov[i].iov_len : bytes;
        crc = replrec_crc32c_extend(crc, iov[i].iov_base, n);
        bytes -= n;
    }
    return crc;
}

static void encode(uint64_t handed, uint32_t crc, uint8_t out[REPL_FINGERPRINT_SIZE]) {
    memcpy(out, &handed, sizeof handed);  /* little-endian: the layer runs on x86-64 and AArch64 */
    memcpy(out + sizeof handed, &crc, sizeof crc);
}

void repl_fingerprint_vector(const struct iovec *iov, size_t count, int64_t written, uint8_t out[REPL_FINGERPRINT_SIZE]) {
    size_t handed = repl_vector_length(iov, count);
    encode(handed, written > 0 ? vector_crc(iov, count, (size_t)written < handed ? (size_t)written : handed) : 0, out);
}

/* The CRC of `length` bytes of fd at `offset`, read back; false when they cannot all be read. */
static bool file_crc(int fd, off64_t offset, size_t length, uint32_t *crc) {
    uint8_t chunk[16384];
    *crc = 0;
    while (length > 0) {
        long n = repl_syscall(SYS_pread64, fd, chunk, length < sizeof chunk ? length : sizeof chunk, (long)offset);
        if (n <= 0) return false;
        *crc = replrec_crc32c_extend(*crc, chunk, (size_t)n);
        offset += n;
        length -= (size_t)n;
    }
    return true;
}

bool repl_fingerprint_file(int fd, off64_t offset, size_t handed, int64_t written, uint8_t out[REPL_FINGERPRINT_SIZE]) {
    uint32_t crc = 0;
    if (written > 0 && !file_crc(fd, offset, (size_t)written, &crc)) return false;
    encode(handed, crc, out);
    return true;
}

/* ---- replay: the check and its report ------------------------------------------------------ */

/* "fd 1 (replplay's output: /dev/pts/3)", "fd 4 (pipe:[8812])", "fd 3 (/srv/out.txt)". */
static void describe_descriptor(int fd, const struct stat *info, char *out, size_t size) {
    char link[32], target[160];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    long n = repl_syscall(SYS_readlink, link, target, sizeof target - 1);
    target[n > 0 ? n : 0] = 0;
    snprintf(out, size, "fd %d (%s%s)", fd, repl_is_inherited_output(info) ? "replplay's output: " : "", n > 0 ? target : "closed");
}

/* Up to `limit` of the bytes as C-escaped text. */
static void preview(const struct iovec *iov, size_t count, char *out, size_t size, size_t limit) {
    size_t at = 0, shown = 0;
    for (size_t i = 0; i < count && shown < limit; i++) {
        const unsigned char *bytes = iov[i].iov_base;
        for (size_t j = 0; j < iov[i].iov_len && shown < limit && at + 5 < size; j++, shown++) {
            unsigned char c = bytes[j];
            if (c == '\n') at += (size_t)snprintf(out + at, size - at, "\\n");
            else if (c == '"' || c == '\\') at += (size_t)snprintf(out + at, size - at, "\\%c", c);
            else if (c >= 0x20 && c < 0x7f) out[at++] = (char)c;
            else at += (size_t)snprintf(out + at, size - at, "\\x%02x", c);
        }
    }
    out[at] = 0;
    if (shown == limit && repl_vector_length(iov, count) > limit && at + 4 < size) strcat(out, "...");
}

/* Where the recorded bytes may be: the recording's captured output, at the bytes the replay has
 * written to its own so far, for a write to replplay's standard output; else the file the write
 * overwrites, when replay runs over the recording's own files. Opened (to `*opened`, closed by the
 * caller) when it is another file; false when there is none. */
static bool recorded_bytes_at(int fd, const struct stat *info, off64_t position, int *source, off64_t *offset,
                              int *opened) {
    *opened = -1;
    const char *captured = repl_region->recorded_output;
    if (repl_inherited_output_index(info) == 0 && captured[0]) {
        *opened = (int)repl_syscall(SYS_openat, AT_FDCWD, captured, O_RDONLY | O_CLOEXEC, 0);
        *source = *opened;
        *offset = (off64_t)atomic_load_explicit(&repl_region->output_written, memory_order_acquire);
        return *opened >= 0;
    }
    if (position == REPL_POSITION_CURRENT) position = (off64_t)repl_syscall(SYS_lseek, fd, 0, SEEK_CUR);
    *source = fd;
    *offset = position;
    return S_ISREG(info->st_mode) && position >= 0;
}

/* The offset of the first byte of the write (`handed` bytes) that differs from the `written`
 * recorded ones at `position` of `source`, when those are the recorded ones (their CRC is the
 * recorded CRC); else -1. A write that is a prefix of the recorded one, or the reverse, differs
 * where the shorter ends. */
static int64_t first_difference(int source, off64_t position, const struct iovec *iov, size_t count, size_t handed,
                                size_t written, uint32_t recorded_crc) {
    uint32_t crc;
    if (!file_crc(source, position, written, &crc) || crc != recorded_crc) return -1;
    size_t common = handed < written ? handed : written;
    uint8_t chunk[4096];
    size_t offset = 0;
    for (size_t i = 0; i < count && offset < common; i++) {
        const uint8_t *bytes = iov[i].iov_base;
        for (size_t j = 0; j < iov[i].iov_len && offset < common;) {
            size_t n = iov[i].iov_len - j;
            if (n > sizeof chunk) n = sizeof chunk;
            if (n > common - offset) n = common - offset;
            if (repl_syscall(SYS_pread64, source, chunk, n, (long)(position + (off64_t)offset)) != (long)n) return -1;
            for (size_t k = 0; k < n; k++)
                if (chunk[k] != bytes[j + k]) return (int64_t)(offset + k);
            j += n;
            offset += n;
        }
    }
    return handed != written ? (int64_t)common : -1;
}

void repl_note_output_made(const struct stat *info, int64_t result) {
    if (result > 0 && repl_inherited_output_index(info) == 0)
        atomic_fetch_add_explicit(&repl_region->output_written, (uint64_t)result, memory_order_acq_rel);
}

void repl_check_output(repl_slot *slot, uint16_t kind, int fd, const struct stat *info, off64_t position,
                       const struct iovec *iov, size_t count) {
    uint64_t length = slot->call.payload_length;
    if (length == 0) return;  /* a log from before fingerprints */
    if (length != REPL_FINGERPRINT_SIZE)
        repl_stop(slot, kind, (uint64_t)fd, REPL_STOP_DAMAGED, "a write's payload is %llu bytes; a fingerprint is %u",
                  (unsigned long long)length, REPL_FINGERPRINT_SIZE);
    uint8_t recorded[REPL_FINGERPRINT_SIZE], seen[REPL_FINGERPRINT_SIZE];
    memcpy(recorded, slot->inline_payload, sizeof recorded);
    repl_fingerprint_vector(iov, count, slot->call.result, seen);
    if (memcmp(recorded, seen, sizeof seen) != 0) repl_report_output(slot, kind, fd, info, position, iov, count, recorded, seen);
    repl_note_output_made(info, slot->call.result);
}

void repl_report_output(repl_slot *slot, uint16_t kind, int fd, const struct stat *info, off64_t position,
                        const struct iovec *iov, size_t count, const uint8_t recorded[REPL_FINGERPRINT_SIZE],
                        const uint8_t seen[REPL_FINGERPRINT_SIZE]) {
    uint64_t recorded_length, seen_length;
    uint32_t recorded_crc, seen_crc;
    memcpy(&recorded_length, recorded, 8);
    memcpy(&recorded_crc, recorded + 8, 4);
    memcpy(&seen_length, seen, 8);
    memcpy(&seen_crc, seen + 8, 4);
    int64_t written = slot->call.result > 0 ? slot->call.result : 0;
    char descriptor[200], bytes[160], where[160] = "";
    describe_descriptor(fd, info, descriptor, sizeof descriptor);
    if (iov) preview(iov, count, bytes, sizeof bytes, 40);
    else snprintf(bytes, sizeof bytes, "(from fd %d's file)", (int)(slot->call.resource >> 32));
    int source, opened = -1;
    off64_t offset;
    if (iov && recorded_bytes_at(fd, info, position, &source, &offset, &opened)) {
        int64_t at = first_difference(source, offset, iov, count, (size_t)seen_length, (size_t)written, recorded_crc);
        if (at >= 0)
            snprintf(where, sizeof where, "; the first differing byte is at offset %lld of the write (%lld of %s)",
                     (long long)at, (long long)(offset + at), opened >= 0 ? "the recorded output" : "the file");
    }
    if (opened >= 0) repl_syscall(SYS_close, opened);
    repl_stop(slot, kind, (uint64_t)fd, REPL_STOP_OUTPUT,
              "other output at %s: the recording handed %llu bytes and wrote %lld of them (CRC-32C 0x%08x); the "
              "replay hands %llu bytes (CRC-32C 0x%08x): \"%s\"%s",
              descriptor, (unsigned long long)recorded_length, (long long)written, recorded_crc,
              (unsigned long long)seen_length, seen_crc, bytes, where);
}
