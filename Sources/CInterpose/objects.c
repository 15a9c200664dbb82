/*
 * Which program and libraries ran (T1). At record, each process names its loaded objects when it
 * starts, and the ones loaded since (dlopen) when it execs or exits, in `objects` messages: one
 * line per object, "IDENTITY<TAB>PATH\n", the identity being the object's GNU build-id
 * ("build-id:HEX", read from its notes in memory) or, lacking one, "file:SIZE:MTIME:CRC" (its
 * size, its modification time in nanoseconds and a CRC-32C of its first 64 KiB). The first
 * line a process writes at its start is its program's.
 *
 * At replay the same lines are made and compared with the recorded ones, before the program's
 * main runs: an object rebuilt since the recording, one the recording did not load, one it
 * loaded that is missing now, is said on standard error, as a warning. Replaying another build
 * on purpose (`replplay LOG -- ./app-debug`) stays possible; its replay then goes as far as its
 * calls and output are the recorded ones.
 */
#include "interpose.h"

#include <CCRC32C.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

REPL_NO_HEAP

/* The objects already named, by their program headers (unique while loaded). */
#define OBJECT_LIMIT 512
static const void *objects_named[OBJECT_LIMIT];
static int named_count;

/* The lines of one look: those made here, and at replay those recorded. A process looks at its
 * start, exec and exit, one thread at a time, so they are static rather than on a thread's
 * stack, which may be small. */
#define LINES_LIMIT 32768
struct lines {
    char text[LINES_LIMIT];
    size_t length;
};
static struct lines made, recorded;
/* Messages are cut at this size, on a line's end. */
#define MESSAGE_LIMIT 4096

static void hex(const uint8_t *bytes, size_t count, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < count; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * count] = 0;
}

/* The object's GNU build-id, from its PT_NOTE segments as loaded; false when it has none. */
static bool build_id(const struct dl_phdr_info *info, char *out, size_t size) {
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type != PT_NOTE) continue;
        const uint8_t *note = (const uint8_t *)(info->dlpi_addr + segment->p_vaddr), *end = note + segment->p_memsz;
        while (note + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *header = (const ElfW(Nhdr) *)note;
            const uint8_t *name = note + sizeof *header;
            const uint8_t *descriptor = name + ((header->n_namesz + 3) & ~3u);
            const uint8_t *next = descriptor + ((header->n_descsz + 3) & ~3u);
            if (next > end) break;
            if (header->n_type == NT_GNU_BUILD_ID && header->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
                header->n_descsz > 0 && 2 * header->n_descsz + 10 <= size) {
                memcpy(out, "build-id:", 9);
                hex(descriptor, header->n_descsz, out + 9);
                return true;
            }
            note = next;
        }
    }
    return false;
}

/* "file:SIZE:MTIME:CRC" of the file at path; false when it cannot be read. */
static bool file_identity(const char *path, char *out, size_t size) {
    long fd = repl_syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) return false;
    struct stat info;
    uint8_t chunk[4096];
    uint32_t crc = 0;
    bool ok = repl_syscall(SYS_fstat, fd, &info) == 0;
    for (long offset = 0, n; ok && offset < 65536; offset += n) {
        n = repl_syscall(SYS_pread64, fd, chunk, sizeof chunk, offset);
        if (n <= 0) break;
        crc = replrec_crc32c_extend(crc, chunk, (size_t)n);
    }
    repl_syscall(SYS_close, fd);
    if (!ok) return false;
    snprintf(out, size, "file:%lld:%lld%09ld:%08x", (long long)info.st_size, (long long)info.st_mtim.tv_sec,
             info.st_mtim.tv_nsec, crc);
    return true;
}

static void add_line(struct lines *lines, const char *identity, const char *path) {
    size_t need = strlen(identity) + strlen(path) + 2;
    if (lines->length + need >= LINES_LIMIT) return;  /* a process of thousands of objects: the rest unnamed */
    lines->length += (size_t)snprintf(lines->text + lines->length, LINES_LIMIT - lines->length, "%s\t%s\n", identity, path);
}

bool repl_is_layer_object(const struct dl_phdr_info *info) {
    uintptr_t here = (uintptr_t)&repl_is_layer_object;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type == PT_LOAD && here - (info->dlpi_addr + segment->p_vaddr) < segment->p_memsz) return true;
    }
    return false;
}

const char *repl_object_path(const struct dl_phdr_info *info) {
    if (info->dlpi_name && info->dlpi_name[0]) return info->dlpi_name;
    static char program[256];  /* the same until an exec, which starts the layer afresh */
    if (program[0] == 0) {
        long length = repl_syscall(SYS_readlink, "/proc/self/exe", program, sizeof program - 1);
        program[length > 0 ? length : 0] = 0;
        if (length <= 0) strcpy(program, "the program");
    }
    return program;
}

static int visit_object(struct dl_phdr_info *info, size_t size, void *context) {
    for (int i = 0; i < named_count; i++)
        if (objects_named[i] == info->dlpi_phdr) return 0;
    if (named_count == OBJECT_LIMIT) return 0;
    objects_named[named_count++] = info->dlpi_phdr;
    const char *name = repl_object_path(info);
    if (strncmp(name, "linux-vdso", 10) == 0 || repl_is_layer_object(info)) return 0;
    char identity[80];
    if (!build_id(info, identity, sizeof identity) && !file_identity(name, identity, sizeof identity))
        snprintf(identity, sizeof identity, "unreadable");
    add_line(&made, identity, name);
    return 0;
}

/* ---- replay: the comparison ---------------------------------------------------------------- */

/* The line of `lines` for `path` ("IDENTITY\tPATH\n"), with its identity's length; NULL if none. */
static const char *find_path(const struct lines *lines, const char *path, size_t path_length, size_t *identity_length) {
    for (const char *line = lines->text; line < lines->text + lines->length;) {
        const char *tab = memchr(line, '\t', (size_t)(lines->text + lines->length - line));
        const char *end = tab ? memchr(tab, '\n', (size_t)(lines->text + lines->length - tab)) : NULL;
        if (!end) return NULL;
        if ((size_t)(end - tab - 1) == path_length && memcmp(tab + 1, path, path_length) == 0) {
            *identity_length = (size_t)(tab - line);
            return line;
        }
        line = end + 1;
    }
    return NULL;
}

static void warn(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *format, ...) {
    char text[1024];
    va_list arguments;
    va_start(arguments, format);
    int n = vsnprintf(text, sizeof text, format, arguments);
    va_end(arguments);
    if (n > 0) repl_say(text);
}

/* Says, line by line, what differs between `mine` and `theirs`; `first_is_program`: the first
 * line of each is the program's, compared whatever its path (a rebuilt binary given after --). */
static void compare(const struct lines *mine, const struct lines *theirs, bool first_is_program) {
    bool first = first_is_program;
    for (const char *line = mine->text; line < mine->text + mine->length; first = false) {
        const char *tab = memchr(line, '\t', (size_t)(mine->text + mine->length - line));
        const char *end = tab ? memchr(tab, '\n', (size_t)(mine->text + mine->length - tab)) : NULL;
        if (!end) return;
        size_t identity_length, path_length = (size_t)(end - tab - 1);
        const char *other = find_path(theirs, tab + 1, path_length, &identity_length);
        if (!other && first && theirs->length > 0) {
            other = theirs->text;
            identity_length = (size_t)((const char *)memchr(other, '\t', theirs->length) - other);
        }
        if (!other) {
            warn("replplay: warning: %.*s is loaded by this replay, not by the recording\n", (int)path_length, tab + 1);
        } else if (identity_length != (size_t)(tab - line) || memcmp(other, line, identity_length) != 0) {
            warn("replplay: warning: %.*s is not the recorded file (recorded %.*s, here %.*s): a replay of another build "
                 "may diverge\n", (int)path_length, tab + 1, (int)identity_length, other, (int)(tab - line), line);
        }
        line = end + 1;
    }
}

/* Replay: takes the turns of the `objects` messages this thread recorded here, into `recorded`. */
static void take_recorded(void) {
    recorded.length = 0;
    for (;;) {
        REPL_GUARD();
        repl_slot *slot = repl_turn_if(REPL_OBJECTS);
        if (!slot) return;
        size_t room = LINES_LIMIT - recorded.length - 1;
        size_t length = slot->call.payload_length < room ? (size_t)slot->call.payload_length : room;
        struct repl_piece piece = {recorded.text + recorded.length, length};
        repl_turn_payload(slot, &piece, 1);
        recorded.length += length;
        repl_turn_done(slot);
    }
}

/* Record: the lines, in messages of at most MESSAGE_LIMIT bytes cut at line ends. */
static void record_lines(void) {
    for (size_t at = 0; at < made.length;) {
        size_t length = made.length - at;
        if (length > MESSAGE_LIMIT) {
            length = MESSAGE_LIMIT;
            while (length > 0 && made.text[at + length - 1] != '\n') length--;
            if (length == 0) length = MESSAGE_LIMIT;
        }
        repl_record(REPL_OBJECTS, 0, 0, 0, made.text + at, length);
        at += length;
    }
}

void repl_note_objects(void) {
    bool replaying = repl_replaying();
    if (!repl_active() && !replaying) return;
    bool at_start = named_count == 0;
    made.length = 0;
    dl_iterate_phdr(visit_object, NULL);
    if (!replaying) {
        record_lines();
        return;
    }
    take_recorded();
    compare(&made, &recorded, at_start);
    /* What the recording loaded that this replay does not. */
    for (const char *line = recorded.text; line < recorded.text + recorded.length;) {
        const char *tab = memchr(line, '\t', (size_t)(recorded.text + recorded.length - line));
        const char *end = tab ? memchr(tab, '\n', (size_t)(recorded.text + recorded.length - tab)) : NULL;
        if (!end) break;
        size_t ignored;
        bool program = at_start && line == recorded.text;
        if (!program && !find_path(&made, tab + 1, (size_t)(end - tab - 1), &ignored))
            warn("replplay: warning: the recording loaded %.*s, which this replay does not\n", (int)(end - tab - 1), tab + 1);
        line = end + 1;
    }
}
