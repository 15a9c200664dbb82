/*
 * Which descriptors the layer records, and which outputs replay writes to. Input from regular
 * files is not recorded (the files are the same at replay), except the files of /proc and /sys,
 * whose content is made as they are read. At replay, writes go to the outputs replplay
 * inherited (its stdout and stderr, named by device and inode in REPLREC_OUTPUTS) and to regular
 * files; writes to the recording's own pipes and sockets are not made.
 *
 * At replay, a pipe or socket of the recording that is a process's standard output or error is
 * pointed at /dev/null: glibc's stdio writes to them by itself, out of the layer's sight, and
 * nobody reads them at replay (their readers take their input from the log), so a writer would
 * block once the pipe is full. Their status (fstat) comes from the log.
 *
 * Descriptors created at replay are settled at the numbers they had on the primary: two threads
 * that create descriptors at the same moment may number their calls in the other order than
 * the kernel handed out the descriptors, so the lowest free number alone does not always match.
 */
#include "interpose.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

REPL_NO_HEAP

static dev_t proc_device, sys_device;

#define INHERITED_OUTPUTS 4
static struct repl_file_identity outputs[INHERITED_OUTPUTS];
static int output_count;

int repl_parse_outputs(const char *text, struct repl_file_identity *out, int capacity) {
    int count = 0;
    const char *p = text ? text : "";
    while (*p && count < capacity) {
        char *end;
        unsigned long long device = strtoull(p, &end, 10);
        if (end == p || *end != ':') break;
        const char *inode_text = end + 1;
        unsigned long long inode = strtoull(inode_text, &end, 10);
        if (end == inode_text) break;
        out[count++] = (struct repl_file_identity){(dev_t)device, (ino_t)inode};
        if (*end != ',') break;
        p = end + 1;
    }
    return count;
}

void repl_classify_descriptors(const char *outputs_variable) {
    struct stat info;
    if (repl_syscall(SYS_newfstatat, AT_FDCWD, "/proc/self", &info, 0) == 0) proc_device = info.st_dev;
    if (repl_syscall(SYS_newfstatat, AT_FDCWD, "/sys/kernel", &info, 0) == 0) sys_device = info.st_dev;
    output_count = repl_parse_outputs(outputs_variable, outputs, INHERITED_OUTPUTS);
}

bool repl_stat_is_recorded(int fd, struct stat *info) {
    if (repl_syscall(SYS_fstat, fd, info) != 0) {
        memset(info, 0, sizeof *info);
        return true;
    }
    return !S_ISREG(info->st_mode) || repl_is_made_as_read(info);
}

bool repl_is_made_as_read(const struct stat *info) {
    return info->st_dev != 0 && (info->st_dev == proc_device || info->st_dev == sys_device);
}

bool repl_status_is_recorded(int fd, struct stat *info) {
    return repl_stat_is_recorded(fd, info) || repl_is_inherited_output(info);
}

bool repl_fd_is_recorded(int fd) {
    struct stat info;
    return repl_stat_is_recorded(fd, &info);
}

bool repl_is_inherited_output(const struct stat *info) {
    return repl_inherited_output_index(info) >= 0;
}

int repl_inherited_output_index(const struct stat *info) {
    for (int i = 0; i < output_count; i++)
        if (outputs[i].device == info->st_dev && outputs[i].inode == info->st_ino) return i;
    return -1;
}

/* Replay: `recorded`, free at this turn on the primary, is held here by a descriptor the
 * recording does not have. The layer's own (a look at /proc, a few system calls long) are waited
 * for: a dup3 onto the number would close one of them under its thread, which then closes the
 * program's descriptor in its place. Anything held longer is a divergence at this turn. */
static void wait_for_number(repl_slot *slot, int recorded, unsigned round) {
    if (round == 2000) {  /* about two seconds */
        repl_stop(slot, slot->call.kind, slot->call.resource, REPL_STOP_CALL,
                  "descriptor %d, which the primary's call got, is held at replay by one the recording does not have",
                  recorded);
    }
    struct timespec pause_time = {0, round < 10 ? 10 * 1000 : 1000 * 1000};
    repl_syscall(SYS_nanosleep, &pause_time, NULL);
}

int repl_settle(repl_slot *slot, int fd, int recorded) {
    if (fd < 0 || recorded < 0 || fd == recorded) return fd;
    int descriptor_flags = repl_real.fcntl(fd, F_GETFD);
    int command = descriptor_flags >= 0 && (descriptor_flags & FD_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD;
    for (unsigned round = 0;; round++) {
        int moved = repl_real.fcntl(fd, command, recorded);  /* the lowest free from `recorded` on */
        if (moved < 0) return fd;  /* beyond this replay's limit: left where it is */
        if (moved == recorded) {
            repl_real.close(fd);
            return recorded;
        }
        repl_real.close(moved);
        wait_for_number(slot, recorded, round);
    }
}

void repl_settle_pair(repl_slot *slot, int fds[2], const int recorded[2]) {
    if (recorded[0] == fds[1] && recorded[1] == fds[0]) {  /* swapped: go through a spare number */
        int spare = repl_real.fcntl(fds[0], F_DUPFD_CLOEXEC, 64);
        if (spare < 0) return;
        repl_real.close(fds[0]);
        fds[0] = spare;
    }
    if (recorded[0] == fds[1]) {  /* the first goes where the second is: move the second first */
        fds[1] = repl_settle(slot, fds[1], recorded[1]);
        fds[0] = repl_settle(slot, fds[0], recorded[0]);
    } else {
        fds[0] = repl_settle(slot, fds[0], recorded[0]);
        fds[1] = repl_settle(slot, fds[1], recorded[1]);
    }
}

void repl_quiet_replayed_output(int fd) {
    struct stat info;
    if (repl_syscall(SYS_fstat, fd, &info) != 0 || !(S_ISFIFO(info.st_mode) || S_ISSOCK(info.st_mode)) ||
        repl_is_inherited_output(&info))
        return;
    long null = repl_syscall(SYS_openat, AT_FDCWD, "/dev/null", O_WRONLY | O_CLOEXEC, 0);
    if (null < 0) return;
    long descriptor_flags = repl_syscall(SYS_fcntl, fd, F_GETFD, 0);
    repl_syscall(SYS_dup3, null, fd, descriptor_flags > 0 && (descriptor_flags & FD_CLOEXEC) ? O_CLOEXEC : 0);
    repl_syscall(SYS_close, null);
}
