/*
 * stdio streams: fopen, fopen64, fdopen, freopen, freopen64, and the standard streams. glibc's
 * stdio reads, writes and closes with direct system calls, so fread on /dev/urandom or fgets on
 * a pipe would bypass the read wrapper, and fclose would free a descriptor number out of
 * sequence. The streams the layer opens are therefore cookie streams whose functions are the
 * wrappers: input from anything that is not a regular file is recorded, and the open and the
 * close are sequenced. The stream keeps its descriptor number, so fileno() still answers.
 *
 * freopen of a layer stream (a daemon pointing its stdin at /dev/null) keeps the stream and its
 * descriptor number: the new file is opened and moved onto that number with the wrappers (glibc's
 * own freopen would turn the cookie stream into a file stream under it, and crashed).
 *
 * Not covered: tmpfile, popen, and streams glibc opens internally (its own files are
 * configuration, the same at replay).
 */
#include "interpose.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static int stream_fd(void *cookie) {
    return (int)(intptr_t)cookie;
}

static ssize_t stream_read(void *cookie, char *buffer, size_t size) {
    return read(stream_fd(cookie), buffer, size);
}

static ssize_t stream_write(void *cookie, const char *buffer, size_t size) {
    return write(stream_fd(cookie), buffer, size);
}

static int stream_seek(void *cookie, off64_t *offset, int whence) {
    off64_t result = lseek64(stream_fd(cookie), *offset, whence);
    if (result < 0) return -1;
    *offset = result;
    return 0;
}

static int stream_close(void *cookie) {
    return close(stream_fd(cookie));
}

/* The function table glibc gives cookie streams (after the FILE in its _IO_FILE_plus). */
static const void *const *vtable_slot(FILE *stream) {
    return (const void *const *)(stream + 1);
}

static const void *_Atomic cookie_vtable;

/* A stream on fd whose input, output and close go through the wrappers. */
static FILE *layer_stream(int fd, const char *mode) {
    cookie_io_functions_t functions = {stream_read, stream_write, stream_seek, stream_close};
    FILE *stream = fopencookie((void *)(intptr_t)fd, mode, functions);
    if (!stream) return NULL;
    /* glibc marks cookie streams with descriptor -2; the real number keeps fileno() working,
     * and every operation still goes through the cookie functions. */
    stream->_fileno = fd;
    atomic_store_explicit(&cookie_vtable, *vtable_slot(stream), memory_order_relaxed);
    return stream;
}

/* Whether the layer made `stream`: a cookie stream with a real descriptor number. */
static bool is_layer_stream(FILE *stream) {
    const void *vtable = atomic_load_explicit(&cookie_vtable, memory_order_relaxed);
    return stream && vtable && *vtable_slot(stream) == vtable && stream->_fileno >= 0;
}

/* open(2) flags for an fopen mode; -1 for modes fopen itself should judge (or reject). */
static int open_flags(const char *mode) {
    int flags;
    switch (mode[0]) {
    case 'r': flags = O_RDONLY; break;
    case 'w': flags = O_WRONLY | O_CREAT | O_TRUNC; break;
    case 'a': flags = O_WRONLY | O_CREAT | O_APPEND; break;
    default: return -1;
    }
    for (const char *c = mode + 1; *c; c++) {
        switch (*c) {
        case '+': flags = (flags & ~O_ACCMODE) | O_RDWR; break;
        case 'x': flags |= O_EXCL; break;
        case 'e': flags |= O_CLOEXEC; break;
        case 'b': case 'm': break;
        default: return -1;  /* ",ccs=": conversion streams are left to glibc */
        }
    }
    return flags;
}

static bool layer_present(void) {
    return repl_region != NULL && repl_self.depth == 0;
}

/* The open is the sequenced open wrapper; the stream is a layer stream. */
static FILE *open_stream(const char *path, const char *mode) {
    int fd = open(path, open_flags(mode), 0666);
    if (fd < 0) return NULL;
    FILE *stream = layer_stream(fd, mode);
    if (!stream) close(fd);
    return stream;
}

REPL_EXPORT FILE *fopen(const char *path, const char *mode) {
    ENSURE(fopen);
    if (!layer_present() || open_flags(mode) < 0) return repl_real.fopen(path, mode);
    return open_stream(path, mode);
}

REPL_EXPORT FILE *fopen64(const char *path, const char *mode) {
    ENSURE(fopen64);
    if (!layer_present() || open_flags(mode) < 0) return repl_real.fopen64(path, mode);
    return open_stream(path, mode);
}

/* Regular files keep glibc's stream; their content is the same at replay. */
REPL_EXPORT FILE *fdopen(int fd, const char *mode) {
    ENSURE(fdopen);
    if (!layer_present() || open_flags(mode) < 0 || !repl_fd_is_recorded(fd)) return repl_real.fdopen(fd, mode);
    return layer_stream(fd, mode);
}

/* freopen on a layer stream: the new file goes where the stream's descriptor is. */
static FILE *reopen_layer_stream(const char *path, const char *mode, FILE *stream) {
    int fd = stream->_fileno, flags = open_flags(mode);
    fflush(stream);
    if (!path) return stream;  /* a change of mode only: the descriptor stays as it is */
    int opened = flags < 0 ? -1 : open(path, flags, 0666);
    if (opened < 0) {
        int error = errno;
        fclose(stream);  /* on failure the stream is closed, as freopen does */
        errno = error;
        return NULL;
    }
    if (opened != fd) {
        dup2(opened, fd);
        close(opened);
    }
    clearerr(stream);
    return stream;
}

REPL_EXPORT FILE *freopen(const char *path, const char *mode, FILE *stream) {
    ENSURE(freopen);
    if (!is_layer_stream(stream)) return repl_real.freopen(path, mode, stream);
    return reopen_layer_stream(path, mode, stream);
}

REPL_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *stream) {
    ENSURE(freopen64);
    if (!is_layer_stream(stream)) return repl_real.freopen64(path, mode, stream);
    return reopen_layer_stream(path, mode, stream);
}

/* stdout and stderr become layer streams too, buffered as glibc would buffer them (a cookie
 * stream would be fully buffered on a terminal): their writes are then the write wrapper's, so
 * that they are numbered where the recording needs them (the recording's pipes, the inherited
 * outputs) and not made into the recording's pipes at replay, where nobody reads them. */
static FILE *output_stream(int fd, int buffering) {
    if (repl_real.fcntl(fd, F_GETFL) < 0) return NULL;
    FILE *stream = layer_stream(fd, "w");
    if (!stream) return NULL;
    if (buffering == _IOFBF && isatty(fd)) buffering = _IOLBF;
    setvbuf(stream, NULL, buffering, BUFSIZ);
    return stream;
}

void repl_adopt_standard_streams(void) {
    FILE *stream;
    if (repl_fd_is_recorded(STDIN_FILENO) && repl_real.fcntl(STDIN_FILENO, F_GETFL) >= 0 &&
        (stream = layer_stream(STDIN_FILENO, "r")))
        stdin = stream;
    if ((stream = output_stream(STDOUT_FILENO, _IOFBF))) stdout = stream;
    if ((stream = output_stream(STDERR_FILENO, _IONBF))) stderr = stream;
}
