/*
 * Directory listings of /proc and /sys: readdir and readdir64. Their entries are made as they
 * are read (the processes and threads of the moment), so what a listing returns is recorded,
 * one `dir_entry` message per readdir (payload: inode, offset, type, then the name; none at the
 * end of the listing). At replay the recorded entry is returned from a buffer of the stream's
 * (the directory is opened for real; its real entries are not read). Listings of other
 * directories are the same at replay: the real call, unrecorded.
 */
#include "interpose.h"

#include <dirent.h>
#include <string.h>

/* The recorded part of an entry. */
struct entry_head {
    uint64_t inode;
    int64_t offset;
    uint8_t type;
} __attribute__((packed));

/* Replay: where the entries returned for each stream live until its next readdir. */
#define STREAMS 16
static struct {
    DIR *stream;
    struct dirent64 entry;
} replayed[STREAMS];
static REPL_TLS struct dirent64 spare_entry; /* when more streams are open at once */

static struct dirent64 *entry_buffer(DIR *stream) {
    for (int i = 0; i < STREAMS; i++)
        if (__atomic_load_n(&replayed[i].stream, __ATOMIC_ACQUIRE) == stream) return &replayed[i].entry;
    for (int i = 0; i < STREAMS; i++) {
        DIR *free_stream = NULL;
        if (__atomic_compare_exchange_n(&replayed[i].stream, &free_stream, stream, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return &replayed[i].entry;
    }
    return &spare_entry;
}

/* Whether the stream lists a directory of /proc or /sys. */
static bool lists_made_entries(DIR *stream) {
    struct stat info;
    int fd = dirfd(stream);
    return fd >= 0 && repl_syscall(SYS_fstat, fd, &info) == 0 && S_ISDIR(info.st_mode) && repl_is_made_as_read(&info);
}

static struct dirent64 *replay_entry(DIR *stream, int fd, bool *replayed_it) {
    struct {
        struct entry_head head;
        char name[sizeof spare_entry.d_name];
    } recorded;
    memset(&recorded, 0, sizeof recorded);
    struct repl_piece piece = {&recorded, sizeof recorded - 1};
    int64_t result;
    *replayed_it = repl_replay_outcome(REPL_DIR_ENTRY, (uint64_t)fd, false, &piece, 1, &result);  /* opendir's descriptor is not settled */
    if (!*replayed_it || result <= 0) return NULL;
    struct dirent64 *entry = entry_buffer(stream);
    memset(entry, 0, sizeof *entry);
    entry->d_ino = recorded.head.inode;
    entry->d_off = recorded.head.offset;
    entry->d_type = recorded.head.type;
    memcpy(entry->d_name, recorded.name, sizeof entry->d_name - 1);
    entry->d_reclen = (unsigned short)(offsetof(struct dirent64, d_name) + strlen(entry->d_name) + 1);
    return entry;
}

/* Inlined into both wrappers, as the checks of whether to record look at the wrapper's caller. */
static inline __attribute__((always_inline)) struct dirent64 *read_entry(DIR *stream) {
    if (!stream || !(repl_replaying() || repl_active()) || !lists_made_entries(stream))
        return repl_real.readdir64(stream);
    int fd = dirfd(stream);
    if (repl_replaying()) {
        bool replayed_it;
        struct dirent64 *entry = replay_entry(stream, fd, &replayed_it);
        if (replayed_it) return entry;
        return repl_real.readdir64(stream);
    }
    int saved_errno = errno;
    struct dirent64 *entry = repl_real.readdir64(stream);
    int error = entry ? 0 : errno;
    if (!entry) {
        repl_record(REPL_DIR_ENTRY, (uint64_t)fd, 0, error == saved_errno ? 0 : error, NULL, 0);
        return NULL;
    }
    struct entry_head head = {entry->d_ino, entry->d_off, entry->d_type};
    struct repl_piece pieces[2] = {{&head, sizeof head}, {entry->d_name, strlen(entry->d_name)}};
    repl_record_pieces(REPL_DIR_ENTRY, (uint64_t)fd, 1, 0, pieces, 2);
    return entry;
}

REPL_EXPORT struct dirent64 *readdir64(DIR *stream) {
    ENSURE(readdir64);
    return read_entry(stream);
}

/* struct dirent is struct dirent64 on x86-64. */
REPL_EXPORT struct dirent *readdir(DIR *stream) {
    ENSURE(readdir64);
    return (struct dirent *)read_entry(stream);
}

REPL_EXPORT int closedir(DIR *stream) {
    ENSURE(closedir);
    for (int i = 0; i < STREAMS; i++) {
        DIR *closing = stream;
        __atomic_compare_exchange_n(&replayed[i].stream, &closing, NULL, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    }
    return repl_real.closedir(stream);
}
