/*
 * The layer's core: the real_* table, attaching to the recorder's shared region, taking and
 * publishing sequence numbers, payloads, thread and fork bookkeeping, fail-stop.
 */
#include "interpose.h"

#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct repl_real_table repl_real;
repl_shared *repl_region;
uint32_t repl_process;
bool repl_replay_mode;
REPL_TLS struct repl_thread_state repl_self = {.thread = REPL_UNKNOWN_THREAD, .area = REPL_NO_AREA, .depth = 0};

static const char *layer_path;   /* this library's path, kept in LD_PRELOAD across exec */
static pthread_key_t area_key;   /* releases a thread's payload area when it exits */

/* ---- the real_* table ------------------------------------------------------------------ */

#define RESOLVE(name) repl_real.name = (__typeof__(repl_real.name))dlsym(RTLD_NEXT, #name)

static void resolve_all(void) {
    RESOLVE(pthread_mutex_lock); RESOLVE(pthread_mutex_trylock); RESOLVE(pthread_mutex_timedlock);
    /* Both symbol versions of the condition variables (see sync.c). */
    repl_real.pthread_cond_wait = dlvsym(RTLD_NEXT, "pthread_cond_wait", "GLIBC_2.3.2");
    repl_real.pthread_cond_timedwait = dlvsym(RTLD_NEXT, "pthread_cond_timedwait", "GLIBC_2.3.2");
    repl_real.pthread_cond_wait_old = dlvsym(RTLD_NEXT, "pthread_cond_wait", "GLIBC_2.2.5");
    repl_real.pthread_cond_timedwait_old = dlvsym(RTLD_NEXT, "pthread_cond_timedwait", "GLIBC_2.2.5");
    if (!repl_real.pthread_cond_wait) RESOLVE(pthread_cond_wait);
    if (!repl_real.pthread_cond_timedwait) RESOLVE(pthread_cond_timedwait);
    RESOLVE(pthread_rwlock_rdlock); RESOLVE(pthread_rwlock_wrlock);
    RESOLVE(pthread_rwlock_tryrdlock); RESOLVE(pthread_rwlock_trywrlock);
    RESOLVE(pthread_rwlock_timedrdlock); RESOLVE(pthread_rwlock_timedwrlock);
    RESOLVE(pthread_spin_lock); RESOLVE(pthread_spin_trylock);
    RESOLVE(sem_wait); RESOLVE(sem_trywait); RESOLVE(sem_timedwait); RESOLVE(sem_post);
    RESOLVE(pthread_barrier_wait); RESOLVE(pthread_once); RESOLVE(pthread_join); RESOLVE(pthread_create);
    RESOLVE(time); RESOLVE(gettimeofday); RESOLVE(clock_gettime); RESOLVE(clock);
    RESOLVE(getrandom); RESOLVE(getentropy); RESOLVE(arc4random); RESOLVE(arc4random_buf);
    RESOLVE(arc4random_uniform);
    RESOLVE(read); RESOLVE(readv); RESOLVE(pread); RESOLVE(preadv); RESOLVE(recv); RESOLVE(recvfrom);
    RESOLVE(recvmsg); RESOLVE(accept); RESOLVE(accept4); RESOLVE(connect); RESOLVE(bind); RESOLVE(listen);
    RESOLVE(getsockname); RESOLVE(getpeername); RESOLVE(getsockopt); RESOLVE(setsockopt); RESOLVE(poll); RESOLVE(ppoll);
    RESOLVE(select); RESOLVE(pselect); RESOLVE(epoll_wait); RESOLVE(epoll_pwait);
    RESOLVE(write); RESOLVE(writev); RESOLVE(send); RESOLVE(sendto); RESOLVE(sendmsg);
    RESOLVE(socket); RESOLVE(socketpair); RESOLVE(pipe); RESOLVE(pipe2); RESOLVE(open); RESOLVE(open64);
    RESOLVE(openat); RESOLVE(openat64); RESOLVE(close); RESOLVE(dup); RESOLVE(dup2); RESOLVE(dup3);
    RESOLVE(epoll_create); RESOLVE(epoll_create1);
    RESOLVE(fork); RESOLVE(execve); RESOLVE(execveat); RESOLVE(fexecve);
    RESOLVE(wait); RESOLVE(waitpid); RESOLVE(wait4); RESOLVE(waitid);
    RESOLVE(exit); RESOLVE(_exit); RESOLVE(posix_spawn); RESOLVE(posix_spawnp);
    RESOLVE(sigaction); RESOLVE(fopen); RESOLVE(fopen64); RESOLVE(fdopen);
}

static void attach(void);

/* 0: not resolved, 1: a thread is resolving, 2: resolved. Not pthread_once: that is interposed. */
static _Atomic int resolve_state;
static REPL_TLS bool resolving;

void repl_resolve(void) {
    if (REPL_LIKELY(atomic_load_explicit(&resolve_state, memory_order_acquire) == 2) || resolving) return;
    int expected = 0;
    if (atomic_compare_exchange_strong_explicit(&resolve_state, &expected, 1, memory_order_acq_rel,
                                                memory_order_acquire)) {
        resolving = true;
        repl_self.depth++;
        resolve_all();
        attach();
        repl_self.depth--;
        resolving = false;
        atomic_store_explicit(&resolve_state, 2, memory_order_release);
        return;
    }
    while (atomic_load_explicit(&resolve_state, memory_order_acquire) != 2) __builtin_ia32_pause();
}

static bool has_prefix(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- fail-stop and waiting ------------------------------------------------------------- */

static void say(const char *text) {
    ssize_t ignored = syscall(SYS_write, 2, text, strlen(text));
    (void)ignored;
}

void repl_fail_stop(const char *why) {
    say("replrec: ");
    say(why);
    say("; stopping the program (fail-stop: an unrecorded primary would break its backups)\n");
    syscall(SYS_kill, getpid(), SIGKILL);
    for (;;) pause();
}

static void check_recorder(void) {
    if (syscall(SYS_kill, repl_region->recorder_pid, 0) != 0 && errno == ESRCH)
        repl_fail_stop("the recorder is gone");
}

/* How far this thread's outputs are covered: what was committed for its last socket write,
 * extended by its own writes' messages when nothing else was numbered in between (a server that
 * answers several clients in a row waits once). */
static REPL_TLS uint64_t output_mark;

void repl_note_output(void) {
    repl_shared *r = repl_region;
    if (r->output_commit && atomic_load_explicit(&r->next_sequence, memory_order_relaxed) == output_mark + 1) output_mark++;
}

void repl_commit_output(void) {
    repl_shared *r = repl_region;
    if (!r->output_commit) return;
    uint64_t upto = atomic_load_explicit(&r->next_sequence, memory_order_acquire);
    if (upto <= output_mark || atomic_load_explicit(&r->committed, memory_order_acquire) >= upto) return;
    int saved_errno = errno;
    uint64_t wanted = atomic_load_explicit(&r->commit_wanted, memory_order_relaxed);
    while (wanted < upto && !atomic_compare_exchange_weak_explicit(&r->commit_wanted, &wanted, upto, memory_order_release,
                                                                   memory_order_relaxed)) {
    }
    repl_wake_recorder(r);
    for (unsigned spin = 0; spin < 2048; spin++) {  /* a frame write takes some microseconds */
        if (atomic_load_explicit(&r->committed, memory_order_acquire) >= upto) goto done;
        __builtin_ia32_pause();
    }
    atomic_fetch_add_explicit(&r->commit_waiters, 1, memory_order_acq_rel);
    for (unsigned round = 0;; round++) {
        uint32_t word = atomic_load_explicit(&r->commit_word, memory_order_acquire);
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load_explicit(&r->committed, memory_order_acquire) >= upto) break;
        struct timespec timeout = {0, 2 * 1000 * 1000};
        syscall(SYS_futex, &r->commit_word, FUTEX_WAIT, word, &timeout, NULL, 0);
        if ((round & 63) == 63) check_recorder();
        /* About two seconds: a number whose process died before publishing it never arrives. */
        if (round > 1000) break;
    }
    atomic_fetch_sub_explicit(&r->commit_waiters, 1, memory_order_acq_rel);
done:
    output_mark = upto;
    errno = saved_errno;
}

/* Waiting is the slow path (the ring or a payload area is full): spin, yield, then sleep. */
static void backoff(unsigned *round) {
    unsigned r = (*round)++;
    if (r < 64) {
        __builtin_ia32_pause();
    } else if (r < 128) {
        sched_yield();
    } else {
        struct timespec pause_time = {0, 50 * 1000};
        syscall(SYS_nanosleep, &pause_time, NULL);
        if ((r & 1023) == 0) check_recorder();
    }
}

/* ---- sequence numbers and the ring ----------------------------------------------------- */

static uint64_t take_number(void) {
    /* Relaxed is enough: read-modify-writes of one atomic are totally ordered, and that order
     * agrees with happens-before, so a call that observes another's effect (through a lock, a
     * semaphore, a pipe) gets the larger number (R1). */
    uint64_t sequence = atomic_fetch_add_explicit(&repl_region->next_sequence, 1, memory_order_relaxed) + 1;
    if (REPL_UNLIKELY((sequence & 4095) == 0)) check_recorder();
    return sequence;
}

/* Gives a thread the layer did not see created its logical id: the number of its thread_start,
 * whose resource is the thread's handle (its address is the same at replay, where the thread
 * finds its message by it). */
static void adopt_thread(void) {
    uint64_t sequence = take_number();
    repl_self.thread = (uint32_t)sequence;
    repl_publish(sequence, REPL_THREAD_START, (uint64_t)pthread_self(), 0, 0, NULL, 0);
}

uint64_t repl_take(void) {
    if (REPL_UNLIKELY(repl_self.thread == REPL_UNKNOWN_THREAD)) adopt_thread();
    return take_number();
}

static uint16_t take_area(void) {
    repl_shared *r = repl_region;
    unsigned round = 0;
    for (;;) {
        uint32_t expected = 0;
        if (atomic_compare_exchange_weak_explicit(&r->area_lock, &expected, 1, memory_order_acquire,
                                                  memory_order_relaxed)) {
            int32_t index = -1;
            if (r->free_count > 0) index = repl_free_areas(r)[--r->free_count];
            else if (r->areas_used < r->payload_areas) index = (int32_t)r->areas_used++;
            atomic_store_explicit(&r->area_lock, 0, memory_order_release);
            if (index >= 0) return (uint16_t)index;
        }
        backoff(&round);
    }
}

/* A released area may still hold bytes the recorder has not read: that is fine, since the next
 * owner's messages all come later in sequence order and the area is first in, first out. */
static void release_area(uint16_t index) {
    repl_shared *r = repl_region;
    unsigned round = 0;
    uint32_t expected = 0;
    while (!atomic_compare_exchange_weak_explicit(&r->area_lock, &expected, 1, memory_order_acquire,
                                                  memory_order_relaxed)) {
        expected = 0;
        backoff(&round);
    }
    repl_free_areas(r)[r->free_count++] = index;
    atomic_store_explicit(&r->area_lock, 0, memory_order_release);
}

static void thread_exit_release(void *value) {
    (void)value;
    if (repl_region && repl_self.area != REPL_NO_AREA) {
        release_area(repl_self.area);
        repl_self.area = REPL_NO_AREA;
    }
}

static uint16_t my_area(void) {
    if (repl_self.area == REPL_NO_AREA) {
        repl_self.area = take_area();
        pthread_setspecific(area_key, (void *)1);  /* so that thread exit gives it back */
    }
    return repl_self.area;
}

/* Streams payload bytes into this thread's area; the recorder reads them as they come. */
static void write_area(uint16_t index, const struct repl_piece *pieces, int count) {
    repl_payload_area *area = repl_area(repl_region, index);
    uint64_t head = atomic_load_explicit(&area->head, memory_order_relaxed);
    for (int i = 0; i < count; i++) {
        const uint8_t *data = pieces[i].data;
        size_t left = pieces[i].length;
        unsigned round = 0;
        while (left > 0) {
            uint64_t tail = atomic_load_explicit(&area->tail, memory_order_acquire);
            uint64_t space = REPL_PAYLOAD_AREA_SIZE - (head - tail);
            if (space == 0) {
                backoff(&round);
                continue;
            }
            size_t at = (size_t)(head % REPL_PAYLOAD_AREA_SIZE);
            size_t chunk = left;
            if (chunk > space) chunk = (size_t)space;
            if (chunk > REPL_PAYLOAD_AREA_SIZE - at) chunk = REPL_PAYLOAD_AREA_SIZE - at;
            memcpy(repl_area_data(area) + at, data, chunk);
            head += chunk;
            data += chunk;
            left -= chunk;
            atomic_store_explicit(&area->head, head, memory_order_release);
        }
    }
}

void repl_publish(uint64_t sequence, uint16_t kind, uint64_t resource, int64_t result, int error,
                  const struct repl_piece *pieces, int count) {
    repl_shared *r = repl_region;
    repl_slot *slot = repl_ring(r) + (sequence & (REPL_RING_SLOTS - 1));
    unsigned round = 0;
    while (sequence - atomic_load_explicit(&r->drained, memory_order_acquire) > REPL_RING_SLOTS)
        backoff(&round);  /* the ring is full: the recorder frees the slot */

    uint64_t total = 0;
    for (int i = 0; i < count; i++) total += pieces[i].length;
    slot->process = repl_process;
    slot->thread = repl_self.thread;
    slot->resource = resource;
    slot->result = result;
    slot->error = error;
    slot->kind = kind;
    slot->payload_length = total;
    if (total <= REPL_INLINE_PAYLOAD) {
        slot->area = REPL_NO_AREA;
        uint8_t *out = slot->inline_payload;
        for (int i = 0; i < count; i++) {
            memcpy(out, pieces[i].data, pieces[i].length);
            out += pieces[i].length;
        }
        atomic_store_explicit(&slot->sequence, sequence, memory_order_release);
        return;
    }
    uint16_t area = my_area();
    slot->area = area;
    atomic_store_explicit(&slot->sequence, sequence, memory_order_release);
    write_area(area, pieces, count);
}

void repl_record_pieces(uint16_t kind, uint64_t resource, int64_t result, int error,
                        const struct repl_piece *pieces, int count) {
    int saved_errno = errno;  /* the program sees the errno of its call, not of our waiting */
    repl_self.depth++;
    repl_publish(repl_take(), kind, resource, result, error, pieces, count);
    repl_leave();
    errno = saved_errno;
}

void repl_record(uint16_t kind, uint64_t resource, int64_t result, int error, const void *payload,
                 size_t length) {
    struct repl_piece piece = {payload, length};
    repl_record_pieces(kind, resource, result, error, &piece, payload && length ? 1 : 0);
}

static dev_t proc_device, sys_device;

static void find_pseudo_filesystems(void) {
    struct stat info;
    if (syscall(SYS_newfstatat, AT_FDCWD, "/proc/self", &info, 0) == 0) proc_device = info.st_dev;
    if (syscall(SYS_newfstatat, AT_FDCWD, "/sys/kernel", &info, 0) == 0) sys_device = info.st_dev;
}

bool repl_stat_is_recorded(int fd, struct stat *info) {
    if (syscall(SYS_fstat, fd, info) != 0) {
        memset(info, 0, sizeof *info);
        return true;
    }
    return !S_ISREG(info->st_mode) || (info->st_dev != 0 && (info->st_dev == proc_device || info->st_dev == sys_device));
}

bool repl_fd_is_recorded(int fd) {
    struct stat info;
    return repl_stat_is_recorded(fd, &info);
}

/* ---- fork (pthread_atfork: also covers forks inside libc, such as daemon()) ------------- */

REPL_TLS uint64_t repl_fork_sequence;
REPL_TLS bool repl_in_fork_wrapper;

/* Release-like: the number is taken before the child exists; the child's logical id is it (R3). */
static void fork_prepare(void) {
    if (repl_active()) repl_fork_sequence = repl_take();
}

static void fork_parent(void) {
    if (!repl_fork_sequence || repl_in_fork_wrapper) return;  /* the wrapper publishes the pid */
    repl_self.depth++;
    repl_publish(repl_fork_sequence, REPL_FORK, 0, 0, 0, NULL, 0);
    repl_leave();
    repl_fork_sequence = 0;
}

static void fork_child(void) {
    if (!repl_fork_sequence) return;
    repl_process = (uint32_t)repl_fork_sequence;
    repl_self.thread = 0;
    repl_self.area = REPL_NO_AREA;  /* the parent's thread keeps using its area */
    repl_fork_sequence = 0;
    atomic_fetch_add_explicit(&repl_region->processes_started, 1, memory_order_relaxed);
}

/* ---- exec environment ------------------------------------------------------------------ */


/* The layer's own variables (REPLREC_*), as the program was started with them. */
static char *layer_variables[8];
static int layer_variable_count;

char **repl_exec_environment(char *const envp[], uint32_t process) {
    size_t count = 0;
    while (envp && envp[count]) count++;
    char **out = calloc(count + (size_t)layer_variable_count + 3, sizeof(char *));
    if (!out) return NULL;
    size_t n = 0;
    const char *preload = NULL;
    for (size_t i = 0; i < count; i++) {
        if (has_prefix(envp[i], "REPLREC_")) continue;
        if (has_prefix(envp[i], "LD_PRELOAD=")) {
            preload = envp[i] + strlen("LD_PRELOAD=");
            continue;
        }
        out[n++] = strdup(envp[i]);
    }
    char *line;
    if (preload && strstr(preload, layer_path)) {
        if (asprintf(&line, "LD_PRELOAD=%s", preload) >= 0) out[n++] = line;
    } else if (preload && *preload) {
        if (asprintf(&line, "LD_PRELOAD=%s:%s", layer_path, preload) >= 0) out[n++] = line;
    } else {
        if (asprintf(&line, "LD_PRELOAD=%s", layer_path) >= 0) out[n++] = line;
    }
    for (int i = 0; i < layer_variable_count; i++)
        if (!has_prefix(layer_variables[i], REPL_ENV_PROCESS "=")) out[n++] = strdup(layer_variables[i]);
    if (asprintf(&line, "%s=%u", REPL_ENV_PROCESS, process) >= 0) out[n++] = line;
    out[n] = NULL;
    return out;
}

void repl_free_environment(char **envp) {
    if (!envp) return;
    for (size_t i = 0; envp[i]; i++) free(envp[i]);
    free(envp);
}

/* ---- outputs replplay inherited (REPLREC_OUTPUTS="dev:ino,dev:ino") ---------------------- */

static struct { dev_t device; ino_t inode; } outputs[4];
static int output_count;

static void parse_outputs(void) {
    for (int i = 0; i < layer_variable_count; i++) {
        if (!has_prefix(layer_variables[i], "REPLREC_OUTPUTS=")) continue;
        const char *p = layer_variables[i] + strlen("REPLREC_OUTPUTS=");
        while (*p && output_count < 4) {
            char *end;
            unsigned long long device = strtoull(p, &end, 10);
            if (*end != ':') break;
            unsigned long long inode = strtoull(end + 1, &end, 10);
            outputs[output_count].device = (dev_t)device;
            outputs[output_count].inode = (ino_t)inode;
            output_count++;
            p = *end == ',' ? end + 1 : end;
            if (*end != ',') break;
        }
    }
}

bool repl_is_inherited_output(const struct stat *info) {
    for (int i = 0; i < output_count; i++)
        if (outputs[i].device == info->st_dev && outputs[i].inode == info->st_ino) return true;
    return false;
}

/* ---- attaching ------------------------------------------------------------------------- */

extern char **environ;

/* Removes the layer's variables from the program's environment (and the layer from
 * LD_PRELOAD), so that the program sees the environment it was given. Exec and spawn put them
 * back for the next image (repl_exec_environment). */
static void hide_layer_environment(const char *layer) {
    static char preload_without_layer[4096];
    size_t out = 0;
    for (size_t in = 0; environ && environ[in]; in++) {
        char *entry = environ[in];
        if (has_prefix(entry, "REPLREC_")) {
            if (layer_variable_count < 8) layer_variables[layer_variable_count++] = strdup(entry);
            continue;
        }
        if (has_prefix(entry, "LD_PRELOAD=")) {
            /* Keep what the user preloaded, in order, without this layer. */
            const char *list = entry + strlen("LD_PRELOAD=");
            size_t used = (size_t)snprintf(preload_without_layer, sizeof preload_without_layer, "LD_PRELOAD=");
            const char *start = list;
            bool any = false;
            while (*start) {
                const char *end = strchr(start, ':');
                size_t length = end ? (size_t)(end - start) : strlen(start);
                if (length && !(length == strlen(layer) && strncmp(start, layer, length) == 0) &&
                    used + length + 2 < sizeof preload_without_layer) {
                    used += (size_t)snprintf(preload_without_layer + used, sizeof preload_without_layer - used,
                                             "%s%.*s", any ? ":" : "", (int)length, start);
                    any = true;
                }
                start = end ? end + 1 : start + length;
            }
            if (!any) continue;
            entry = preload_without_layer;
        }
        environ[out++] = entry;
    }
    if (environ) environ[out] = NULL;
}

uintptr_t repl_allocator_start, repl_allocator_end;

static int find_executable_segment(struct dl_phdr_info *object, size_t size, void *base) {
    if (object->dlpi_addr != (uintptr_t)base) return 0;
    if (object->dlpi_name[0] == '\0') return 1;  /* linked into the program: not told apart */
    for (int i = 0; i < object->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &object->dlpi_phdr[i];
        if (segment->p_type != PT_LOAD || !(segment->p_flags & PF_X)) continue;
        repl_allocator_start = object->dlpi_addr + segment->p_vaddr;
        repl_allocator_end = repl_allocator_start + segment->p_memsz;
        break;
    }
    return 1;
}

/* Finds the allocator's code, when malloc comes from a library of its own. glibc's malloc
 * locks internally, out of the layer's sight. */
static void find_allocator(void) {
    Dl_info allocator, libc;
    void *program_malloc = dlsym(RTLD_DEFAULT, "malloc");
    if (!program_malloc || !dladdr(program_malloc, &allocator)) return;
    if (dladdr((void *)repl_real.read, &libc) && allocator.dli_fbase == libc.dli_fbase) return;
    dl_iterate_phdr(find_executable_segment, allocator.dli_fbase);
}

/* Attaches to the shared region named in the environment, if any. Runs inside repl_resolve,
 * at the first intercepted call, which may come before this library's constructor (a
 * library's own initialiser reading the clock): those calls must be recorded too. No heap
 * here: the first call may come from inside the program's allocator. */
static void attach(void) {
    const char *name = getenv(REPL_ENV_SHM);
    const char *process = getenv(REPL_ENV_PROCESS);
    const char *layer = getenv(REPL_ENV_LAYER);
    if (!name || !process || !layer) return;  /* not under replrec: stay out of the way */

    int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) repl_fail_stop("cannot open the recorder's shared memory");
    repl_shared *header = mmap(NULL, sizeof(repl_shared), PROT_READ, MAP_SHARED, fd, 0);
    if (header == MAP_FAILED) repl_fail_stop("cannot map the recorder's shared memory");
    if (header->magic != REPL_ABI_MAGIC || header->abi_version != REPL_ABI_VERSION ||
        header->size != repl_region_size())
        repl_fail_stop("the recorder speaks another ABI version of the interception layer");
    pid_t header_pid = header->recorder_pid;
    munmap(header, sizeof(repl_shared));
    void *region = mmap(NULL, repl_region_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);  /* the mapping stays; programs that close every descriptor cannot break it */
    if (region == MAP_FAILED) repl_fail_stop("cannot map the recorder's shared memory");

    /* The root process dies with the recorder; the others notice when they next check. */
    if (strcmp(process, "0") == 0 && getppid() == header_pid) prctl(PR_SET_PDEATHSIG, SIGKILL);

    layer_path = layer;  /* the environment's string outlives its removal from environ */
    repl_process = (uint32_t)strtoul(process, NULL, 10);
    hide_layer_environment(layer_path);
    parse_outputs();
    repl_self.thread = 0;
    repl_replay_mode = ((repl_shared *)region)->mode == REPL_MODE_REPLAY;
    pthread_key_create(&area_key, thread_exit_release);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    find_pseudo_filesystems();
    find_allocator();
    repl_region = region;
    atomic_fetch_add_explicit(&repl_region->processes_started, 1, memory_order_relaxed);
}

__attribute__((constructor)) static void repl_initialise(void) {
    repl_resolve();
    if (repl_region) repl_adopt_stdin();  /* stdio is ready by now */
}
