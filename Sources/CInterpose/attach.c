/*
 * Attaching: the real_* table (filled once from real.h), the shared region named in the
 * environment, the allocator's code range, and the constructor. Attaching happens at the first
 * intercepted call, which may come before this library's constructor (a library's own
 * initialiser reading the clock), and may come from inside the program's allocator: no heap.
 */
#include "interpose.h"

#include <CCRC32C.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>

REPL_NO_HEAP

struct repl_real_table repl_real;
repl_shared *repl_region;
uint32_t repl_process;
bool repl_replay_mode;
REPL_TLS struct repl_thread_state repl_self = {.thread = REPL_UNKNOWN_THREAD, .area = REPL_NO_AREA, .depth = 0};
uintptr_t repl_allocator_start, repl_allocator_end;

/* ---- the real_* table ------------------------------------------------------------------ */

static void resolve_all(void) {
#define RESOLVE(type, name, parameters) repl_real.name = (__typeof__(repl_real.name))dlsym(RTLD_NEXT, #name);
    REPL_REAL_FUNCTIONS(RESOLVE)
#undef RESOLVE
#define RESOLVE_VERSIONED(type, field, symbol, version, fallback, parameters)                 \
    repl_real.field = (__typeof__(repl_real.field))dlvsym(RTLD_NEXT, symbol, version);         \
    if (!repl_real.field && (fallback)) repl_real.field = (__typeof__(repl_real.field))dlsym(RTLD_NEXT, symbol);
    REPL_REAL_VERSIONED(RESOLVE_VERSIONED)
#undef RESOLVE_VERSIONED
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
        REPL_GUARD();
        resolving = true;
        resolve_all();
        attach();
        resolving = false;
        atomic_store_explicit(&resolve_state, 2, memory_order_release);
        return;
    }
    while (atomic_load_explicit(&resolve_state, memory_order_acquire) != 2) __builtin_ia32_pause();
}

/* ---- the allocator ------------------------------------------------------------------------ */

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

/* ---- the region ---------------------------------------------------------------------------- */

/* Maps the region at `name` (the tool's memfd, /proc/PID/fd/N) after checking that it speaks
 * this ABI. */
static repl_shared *map_region(const char *name) {
    int fd = (int)repl_syscall(SYS_openat, AT_FDCWD, name, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) repl_fail_stop("cannot open the recorder's shared memory");
    repl_shared *header = mmap(NULL, sizeof(repl_shared), PROT_READ, MAP_SHARED, fd, 0);
    if (header == MAP_FAILED) repl_fail_stop("cannot map the recorder's shared memory");
    bool same_abi = header->magic == REPL_ABI_MAGIC && header->abi_version == REPL_ABI_VERSION &&
                    header->size == repl_region_size();
    munmap(header, sizeof(repl_shared));
    if (!same_abi) repl_fail_stop("the recorder speaks another ABI version of the interception layer");
    void *region = mmap(NULL, repl_region_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    repl_real.close(fd);  /* the mapping stays; programs that close every descriptor cannot break it */
    if (region == MAP_FAILED) repl_fail_stop("cannot map the recorder's shared memory");
    return region;
}

extern char **environ;

/* Attaches to the shared region named in the environment, if any; stays out of the way when
 * the program runs without a recorder. */
static void attach(void) {
    const char *name = getenv(REPL_ENV_SHM);
    const char *process = getenv(REPL_ENV_PROCESS);
    const char *layer = getenv(REPL_ENV_LAYER);
    if (!name || !process || !layer) return;

    repl_shared *region = map_region(name);
    /* The root process dies with the recorder; the others notice when they next check. */
    if (strcmp(process, "0") == 0 && repl_syscall(SYS_getppid) == region->recorder_pid)
        prctl(PR_SET_PDEATHSIG, SIGKILL);

    /* As long as any one environment string can be (MAX_ARG_STRLEN, 32 pages): the user's
     * preloads are never cut. */
    static char preload[32 * 4096];
    repl_environment.layer_path = layer;  /* the environment's strings outlive their removal */
    repl_process = (uint32_t)strtoul(process, NULL, 10);
    repl_hide_layer(environ, &repl_environment, preload, sizeof preload);
    repl_classify_descriptors(repl_layer_variable(&repl_environment, REPL_ENV_OUTPUTS));
    repl_self.thread = 0;
    repl_replay_mode = region->mode == REPL_MODE_REPLAY;
    repl_chaos = !repl_replay_mode && region->chaos;
    repl_prepare_areas();
    repl_prepare_waiters();
    pthread_atfork(repl_fork_prepare, repl_fork_parent, repl_fork_child);
    find_allocator();
    (void)replrec_crc32c_is_hardware();  /* the tables are made here: a signal handler's write must not find them half made */
    if (repl_replay_mode) {
        repl_quiet_replayed_output(STDOUT_FILENO);
        repl_quiet_replayed_output(STDERR_FILENO);
    }
    repl_region = region;
    repl_take_default_actions();
    atomic_fetch_add_explicit(&repl_region->processes_started, 1, memory_order_relaxed);
}

__attribute__((constructor)) static void repl_initialise(void) {
    repl_resolve();
    if (!repl_region) return;
    repl_adopt_standard_streams();  /* stdio is ready by now */
    repl_note_objects();
    repl_note_uncovered();
}
