/*
 * File names: the calls that look a name up (access, the stat family, readlink) and those that
 * change the tree of names (unlink, rename, mkdir, rmdir, link, symlink). Within one process
 * their order is the program's; between processes it is timing: SQLite checks with access()
 * whether a journal is there while another process deletes it, and the two orders lead to
 * different calls. So they are sequenced, like the opens and closes of descriptors (fd.c).
 *
 * A look-up is acquire-like (the real call, then the number, with its result); a change is
 * release-like (the number, the change, the publication). At replay each is made for real at
 * its turn, so the tree changes in the recorded order, and the program gets the recorded result
 * and errno: the replay's files may differ from the primary's where that changes nothing the
 * program sees (a cache file the recording left behind, a directory made again). A call whose
 * output the replay cannot give from the log stops the replay with a divergence naming the
 * path: a stat or readlink of a name the primary found and the replay does not (the buffer is
 * the real call's, with the times and inode of the replay's file), a change whose real outcome
 * leaves another tree than the primary's (a rename that fails at replay; a mkdir that finds
 * the directory there already leaves the same tree).
 */
#include "interpose.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

/* The message resource: which function (checked at replay). */
enum name_call {
    NAME_ACCESS = 1, NAME_FACCESSAT, NAME_STAT, NAME_LSTAT, NAME_FSTATAT, NAME_STATX, NAME_READLINK,
    NAME_READLINKAT, NAME_UNLINK, NAME_UNLINKAT, NAME_RENAME, NAME_RENAMEAT, NAME_RENAMEAT2, NAME_MKDIR,
    NAME_MKDIRAT, NAME_RMDIR, NAME_LINK, NAME_LINKAT, NAME_SYMLINK, NAME_SYMLINKAT,
};

/* Replay: stops with a divergence when the real call came out in a way the recorded result
 * cannot stand for (`same_outcome` false). */
static void check_outcome(repl_slot *slot, uint16_t kind, const char *path, bool same_outcome, long real, int real_error) {
    if (same_outcome) return;
    bool recorded_failed = slot->call.result < 0;
    char line[512];
    snprintf(line, sizeof line,
             "replplay: sequence %llu: a call on '%s' ended in %s on the primary, in %s at replay: the replay's files "
             "are not the recording's\n",
             (unsigned long long)repl_turn_sequence(slot), path ? path : "",
             recorded_failed ? strerror(slot->call.error) : "success", real < 0 ? strerror(real_error) : "success");
    repl_say(line);
    repl_diverge(slot, kind, slot->call.resource);
}

/* A look-up that fills a buffer: the real call must have found what the primary found (for
 * readlink, as long a target). */
static bool found_alike(const repl_slot *slot, long real, bool fills_buffer) {
    return !fills_buffer || slot->call.result < 0 || real == slot->call.result;
}

/* A change: the same tree after it, when it is made at replay or was made already (`already`:
 * the errno that says so, EEXIST for a mkdir, ENOENT for an unlink; 0 when none does). */
static bool same_tree(const repl_slot *slot, long real, int real_error, int already) {
    bool recorded_failed = slot->call.result < 0;
    if (recorded_failed == (real < 0)) return !recorded_failed || slot->call.error == real_error;
    return already != 0 && (recorded_failed ? slot->call.error : real_error) == already;
}

/* A call on a name (`path`, the one named in a report), made for real at its turn at replay,
 * where `outcome_check` (of real_ and real_error_) tells whether the recorded result can stand
 * for the real one. A look-up is numbered after its call, a change before. */
#define NAME_CALL(kind, which, path, is_change, outcome_check, real_call)                     \
    if (repl_replaying()) {                                                                  \
        REPL_GUARD();                                                                        \
        repl_slot *slot = repl_turn(kind, which, true);                                      \
        long real_ = (long)(real_call);                                                      \
        int real_error_ = errno;                                                             \
        if (!slot) return real_;                                                             \
        check_outcome(slot, kind, path, (outcome_check), real_, real_error_);                \
        return repl_turn_complete(slot);                                                     \
    }                                                                                        \
    if (!repl_active()) return (real_call);                                                  \
    if (!(is_change)) {                                                                      \
        long result = (long)(real_call);                                                     \
        repl_record(kind, which, result, result < 0 ? errno : 0, NULL, 0);                   \
        return result;                                                                       \
    }                                                                                        \
    long result;                                                                             \
    int error;                                                                               \
    {                                                                                        \
        REPL_GUARD();                                                                        \
        uint64_t sequence = repl_take(kind);                                                 \
        result = (long)(real_call);                                                          \
        error = result < 0 ? errno : 0;                                                      \
        repl_publish(sequence, kind, which, result, error, NULL, 0);                         \
    }                                                                                        \
    if (error) errno = error;                                                                \
    return result

/* A look-up; `fills_buffer`: whether it has an output beyond its result. */
#define LOOKUP(which, path, fills_buffer, real_call)                                         \
    NAME_CALL(REPL_PATH_LOOKUP, which, path, false, found_alike(slot, real_, fills_buffer), real_call)
/* A change; `already`: the errno that says it was made already (0: none). */
#define CHANGE(which, path, already, real_call)                                              \
    NAME_CALL(REPL_PATH_CHANGE, which, path, true, same_tree(slot, real_, real_error_, already), real_call)

/* ---- look-ups ------------------------------------------------------------------------------ */

REPL_EXPORT int access(const char *path, int mode) {
    ENSURE(access);
    LOOKUP(NAME_ACCESS, path, false, repl_real.access(path, mode));
}

REPL_EXPORT int faccessat(int dir, const char *path, int mode, int flags) {
    ENSURE(faccessat);
    LOOKUP(NAME_FACCESSAT, path, false, repl_real.faccessat(dir, path, mode, flags));
}

/* The stat family, through the system call: glibc 2.33 on exports stat, lstat and fstatat;
 * binaries built before call __xstat, __lxstat and __fxstatat. The 64 forms are the same calls
 * on x86-64, where the kernel's struct stat is glibc's. */
static int with_errno(long result) {
    if (result >= 0) return (int)result;
    errno = (int)-result;
    return -1;
}

static int real_fstatat(int dir, const char *path, void *status, int flags) {
    return with_errno(repl_syscall(SYS_newfstatat, dir, path, status, flags));
}

#define STAT_FORMS(name, old_name, which, flags)                                             \
    REPL_EXPORT int name(const char *path, struct stat *status) {                            \
        LOOKUP(which, path, true, real_fstatat(AT_FDCWD, path, status, flags));              \
    }                                                                                        \
    REPL_EXPORT int name##64(const char *path, struct stat64 *status) {                      \
        LOOKUP(which, path, true, real_fstatat(AT_FDCWD, path, status, flags));              \
    }                                                                                        \
    REPL_EXPORT int old_name(int version, const char *path, struct stat *status) {           \
        LOOKUP(which, path, true, real_fstatat(AT_FDCWD, path, status, flags));              \
    }                                                                                        \
    REPL_EXPORT int old_name##64(int version, const char *path, struct stat64 *status) {     \
        LOOKUP(which, path, true, real_fstatat(AT_FDCWD, path, status, flags));              \
    }

STAT_FORMS(stat, __xstat, NAME_STAT, 0)
STAT_FORMS(lstat, __lxstat, NAME_LSTAT, AT_SYMLINK_NOFOLLOW)

REPL_EXPORT int fstatat(int dir, const char *path, struct stat *status, int flags) {
    LOOKUP(NAME_FSTATAT, path, true, real_fstatat(dir, path, status, flags));
}

REPL_EXPORT int fstatat64(int dir, const char *path, struct stat64 *status, int flags) {
    LOOKUP(NAME_FSTATAT, path, true, real_fstatat(dir, path, status, flags));
}

REPL_EXPORT int __fxstatat(int version, int dir, const char *path, struct stat *status, int flags) {
    LOOKUP(NAME_FSTATAT, path, true, real_fstatat(dir, path, status, flags));
}

REPL_EXPORT int __fxstatat64(int version, int dir, const char *path, struct stat64 *status, int flags) {
    LOOKUP(NAME_FSTATAT, path, true, real_fstatat(dir, path, status, flags));
}

REPL_EXPORT int statx(int dir, const char *path, int flags, unsigned int mask, struct statx *status) {
    LOOKUP(NAME_STATX, path, true, with_errno(repl_syscall(SYS_statx, dir, path, flags, mask, status)));
}

REPL_EXPORT ssize_t readlink(const char *path, char *buffer, size_t size) {
    ENSURE(readlink);
    LOOKUP(NAME_READLINK, path, true, repl_real.readlink(path, buffer, size));
}

REPL_EXPORT ssize_t readlinkat(int dir, const char *path, char *buffer, size_t size) {
    ENSURE(readlinkat);
    LOOKUP(NAME_READLINKAT, path, true, repl_real.readlinkat(dir, path, buffer, size));
}

/* ---- changes ------------------------------------------------------------------------------- */

REPL_EXPORT int unlink(const char *path) {
    ENSURE(unlink);
    CHANGE(NAME_UNLINK, path, ENOENT, repl_real.unlink(path));
}

REPL_EXPORT int unlinkat(int dir, const char *path, int flags) {
    ENSURE(unlinkat);
    CHANGE(NAME_UNLINKAT, path, ENOENT, repl_real.unlinkat(dir, path, flags));
}

REPL_EXPORT int rename(const char *from, const char *to) {
    ENSURE(rename);
    CHANGE(NAME_RENAME, from, 0, repl_real.rename(from, to));
}

REPL_EXPORT int renameat(int from_dir, const char *from, int to_dir, const char *to) {
    ENSURE(renameat);
    CHANGE(NAME_RENAMEAT, from, 0, repl_real.renameat(from_dir, from, to_dir, to));
}

REPL_EXPORT int renameat2(int from_dir, const char *from, int to_dir, const char *to, unsigned int flags) {
    ENSURE(renameat2);
    CHANGE(NAME_RENAMEAT2, from, 0, repl_real.renameat2(from_dir, from, to_dir, to, flags));
}

REPL_EXPORT int mkdir(const char *path, mode_t mode) {
    ENSURE(mkdir);
    CHANGE(NAME_MKDIR, path, EEXIST, repl_real.mkdir(path, mode));
}

REPL_EXPORT int mkdirat(int dir, const char *path, mode_t mode) {
    ENSURE(mkdirat);
    CHANGE(NAME_MKDIRAT, path, EEXIST, repl_real.mkdirat(dir, path, mode));
}

REPL_EXPORT int rmdir(const char *path) {
    ENSURE(rmdir);
    CHANGE(NAME_RMDIR, path, ENOENT, repl_real.rmdir(path));
}

REPL_EXPORT int link(const char *from, const char *to) {
    ENSURE(link);
    CHANGE(NAME_LINK, to, EEXIST, repl_real.link(from, to));
}

REPL_EXPORT int linkat(int from_dir, const char *from, int to_dir, const char *to, int flags) {
    ENSURE(linkat);
    CHANGE(NAME_LINKAT, to, EEXIST, repl_real.linkat(from_dir, from, to_dir, to, flags));
}

REPL_EXPORT int symlink(const char *target, const char *path) {
    ENSURE(symlink);
    CHANGE(NAME_SYMLINK, path, EEXIST, repl_real.symlink(target, path));
}

REPL_EXPORT int symlinkat(const char *target, int dir, const char *path) {
    ENSURE(symlinkat);
    CHANGE(NAME_SYMLINKAT, path, EEXIST, repl_real.symlinkat(target, dir, path));
}
