/*
 * What the layer cannot see: the libc functions that can return a nondeterministic result or
 * act on another process, but that the layer does not interpose. At record, each process reads
 * the imports of its loaded objects (their dynamic symbol tables) when it starts, and again for
 * the objects loaded since (dlopen) when it execs or exits; the uncovered functions it finds are
 * an `uncovered` message (payload: "function<TAB>object\n" lines), which replrec's summary and
 * logtool stat report, so that a user knows before replaying. Replay reads the same objects and
 * takes the turns of the same notes: objects that import other functions are another program.
 *
 * Only imports bound to glibc count (by their symbol version, where there is one): a library
 * that defines its own `uname` is not libc's.
 */
#include "interpose.h"

#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

REPL_NO_HEAP

/* Sorted (bsearch). A test checks that the layer exports none of them. */
static const char *const uncovered[] = {
    "adjtimex", "aio_error", "aio_error64", "aio_read", "aio_read64", "aio_return", "aio_return64",
    "aio_suspend", "aio_suspend64", "epoll_pwait2", "ftime", "get_nprocs",
    "get_nprocs_conf", "getaddrinfo", "getcpu", "getdomainname", "gethostbyaddr", "gethostbyaddr_r",
    "gethostbyname", "gethostbyname2", "gethostbyname2_r", "gethostbyname_r", "gethostname",
    "getifaddrs", "getloadavg", "getnameinfo", "getpgid", "getpgrp", "getpriority", "getrusage",
    "getsid", "lio_listio", "mq_receive", "mq_timedreceive", "msgrcv",
    "ntp_gettime", "ntp_gettimex", "pidfd_getfd", "pidfd_open", "pidfd_send_signal", "prlimit",
    "prlimit64", "process_vm_readv", "process_vm_writev", "ptrace", "recvmmsg", "res_nquery",
    "res_nsearch", "res_query", "res_search", "sched_getaffinity", "sched_getcpu",
    "sched_setaffinity", "sched_setparam", "sched_setscheduler", "semop", "semtimedop", "setpgid",
    "setpriority", "shm_open", "shmat", "sysinfo", "tcgetpgrp", "tcsetpgrp", "timer_gettime",
    "timerfd_gettime", "times", "uname",
};
#define UNCOVERED_COUNT (sizeof uncovered / sizeof uncovered[0])

static int compare_name(const void *key, const void *entry) {
    return strcmp((const char *)key, *(const char *const *)entry);
}

/* The objects already read, by their program headers (unique while loaded). */
#define OBJECT_LIMIT 512
static const void *objects_read[OBJECT_LIMIT];
static int object_count;
/* The functions already reported by this process. */
static bool reported[UNCOVERED_COUNT];

/* A message's worth of "function\tobject\n" lines; kept inline in the log's frames. */
#define REPORT_LIMIT 480
struct report {
    char text[REPORT_LIMIT];
    size_t length;
};

static void flush_report(struct report *report) {
    if (report->length == 0) return;
    if (repl_replaying()) {  /* the same objects import the same functions: the recorded note is next */
        int64_t recorded;
        repl_replay_outcome(REPL_UNCOVERED, 0, true, NULL, 0, &recorded);
    } else {
        repl_record(REPL_UNCOVERED, 0, 0, 0, report->text, report->length);
    }
    report->length = 0;
}

static void add_line(struct report *report, const char *function, const char *object) {
    const char *slash = strrchr(object, '/');
    const char *base = slash ? slash + 1 : object;
    size_t function_length = strlen(function), base_length = strlen(base);
    if (function_length + base_length + 2 > REPORT_LIMIT) return;
    if (report->length + function_length + base_length + 2 > REPORT_LIMIT) flush_report(report);
    memcpy(report->text + report->length, function, function_length);
    report->text[report->length + function_length] = '\t';
    memcpy(report->text + report->length + function_length + 1, base, base_length);
    report->length += function_length + base_length + 2;
    report->text[report->length - 1] = '\n';
}

/* The dynamic table's addresses are relocated in place by ld.so on this architecture, except
 * in the vDSO. */
static uintptr_t address(const struct dl_phdr_info *info, ElfW(Addr) value) {
    return value < info->dlpi_addr ? info->dlpi_addr + value : value;
}

/* The number of dynamic symbols, from DT_HASH or, lacking it, DT_GNU_HASH (whose chains end at
 * the last symbol; the undefined ones come before its first hashed symbol). */
static size_t symbol_count(const uint32_t *hash, const uint32_t *gnu_hash) {
    if (hash) return hash[1];
    if (!gnu_hash) return 0;
    uint32_t buckets = gnu_hash[0], first = gnu_hash[1], bloom_words = gnu_hash[2];
    const uint32_t *bucket = gnu_hash + 4 + bloom_words * (sizeof(ElfW(Addr)) / 4);
    const uint32_t *chain = bucket + buckets;
    uint32_t last = 0;
    for (uint32_t i = 0; i < buckets; i++)
        if (bucket[i] > last) last = bucket[i];
    if (last < first) return first;
    while (!(chain[last - first] & 1)) last++;
    return last + 1;
}

/* Whether version index `index` of the object is a glibc version (GLIBC_2.x). */
static bool glibc_version(const ElfW(Verneed) *need, const char *strings, uint16_t index) {
    for (; need; need = need->vn_next ? (const ElfW(Verneed) *)((const char *)need + need->vn_next) : NULL) {
        const ElfW(Vernaux) *aux = (const ElfW(Vernaux) *)((const char *)need + need->vn_aux);
        for (unsigned i = 0; i < need->vn_cnt; i++) {
            if (aux->vna_other == index) return strncmp(strings + aux->vna_name, "GLIBC_", 6) == 0;
            aux = (const ElfW(Vernaux) *)((const char *)aux + aux->vna_next);
        }
    }
    return false;
}

static void read_imports(const struct dl_phdr_info *info, struct report *report) {
    const ElfW(Dyn) *dynamic = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            dynamic = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    if (!dynamic) return;
    const ElfW(Sym) *symbols = NULL;
    const char *strings = NULL;
    const uint32_t *hash = NULL, *gnu_hash = NULL;
    const ElfW(Half) *versions = NULL;
    const ElfW(Verneed) *needed = NULL;
    for (const ElfW(Dyn) *d = dynamic; d->d_tag != DT_NULL; d++) {
        switch (d->d_tag) {
        case DT_SYMTAB: symbols = (const ElfW(Sym) *)address(info, d->d_un.d_ptr); break;
        case DT_STRTAB: strings = (const char *)address(info, d->d_un.d_ptr); break;
        case DT_HASH: hash = (const uint32_t *)address(info, d->d_un.d_ptr); break;
        case DT_GNU_HASH: gnu_hash = (const uint32_t *)address(info, d->d_un.d_ptr); break;
        case DT_VERSYM: versions = (const ElfW(Half) *)address(info, d->d_un.d_ptr); break;
        case DT_VERNEED: needed = (const ElfW(Verneed) *)address(info, d->d_un.d_ptr); break;
        }
    }
    if (!symbols || !strings) return;
    size_t count = symbol_count(hash, gnu_hash);
    for (size_t i = 1; i < count; i++) {
        const ElfW(Sym) *symbol = &symbols[i];
        if (symbol->st_shndx != SHN_UNDEF || symbol->st_name == 0) continue;
        const char *name = strings + symbol->st_name;
        const char *const *entry = bsearch(name, uncovered, UNCOVERED_COUNT, sizeof uncovered[0], compare_name);
        if (!entry || reported[entry - uncovered]) continue;
        uint16_t version = versions ? versions[i] & 0x7fff : 0;
        if (version > 1 && !glibc_version(needed, strings, version)) continue;
        reported[entry - uncovered] = true;
        add_line(report, name, repl_object_path(info));
    }
}

static bool already_read(const void *object) {
    for (int i = 0; i < object_count; i++)
        if (objects_read[i] == object) return true;
    return false;
}

static int visit_object(struct dl_phdr_info *info, size_t size, void *context) {
    if (already_read(info->dlpi_phdr) || object_count == OBJECT_LIMIT) return 0;
    objects_read[object_count++] = info->dlpi_phdr;
    if (!repl_is_layer_object(info)) read_imports(info, context);  /* the layer's imports are not the program's */
    return 0;
}

void repl_note_uncovered(void) {
    if (!repl_active() && !repl_replaying()) return;
    struct report report = {.length = 0};
    dl_iterate_phdr(visit_object, &report);
    flush_report(&report);
}
