/*
 * Unit tests of the interception layer's pure helpers, linked with the layer's sources that
 * hold them (environment.c, descriptors.c) and run by scripts/test-layer-units.sh: building
 * exec environments, hiding the layer's variables, parsing the inherited outputs, settling
 * descriptors at their recorded numbers (with their close-on-exec flag, waiting for a number
 * another descriptor holds, stopping when it stays held), and the ABI's waiter table. Prints one line per failed check and a closing "N passed, N failed" line.
 */
#include "interpose.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

struct repl_real_table repl_real; /* descriptors.c moves descriptors with the real dup3, close and fcntl */

/* replay.c's stop, which ends the replayed program, stands in here as a jump back to the check
 * that expects it, with the detail kept. */
static jmp_buf stopped;
static char stop_detail[REPL_DIVERGENCE_DETAIL];

void repl_stop(repl_slot *slot, uint16_t kind, uint64_t resource, uint32_t cause, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(stop_detail, sizeof stop_detail, format, arguments);
    va_end(arguments);
    longjmp(stopped, 1);
}

static int passed, failed;

#define CHECK(condition)                                                                     \
    do {                                                                                     \
        if (condition) {                                                                     \
            passed++;                                                                        \
        } else {                                                                             \
            failed++;                                                                        \
            printf("FAILED %s:%d: %s\n", __FILE__, __LINE__, #condition);                    \
        }                                                                                    \
    } while (0)

static int count(char *const *list) {
    int n = 0;
    while (list && list[n]) n++;
    return n;
}

static bool contains(char *const *list, const char *entry) {
    for (int i = 0; list && list[i]; i++)
        if (strcmp(list[i], entry) == 0) return true;
    return false;
}

static void hiding_keeps_the_users_preloads_in_order(void) {
    char e1[] = "HOME=/root", e2[] = "REPLREC_SHM=/replrec-1", e3[] = "LD_PRELOAD=/a.so:/lib/layer.so:/b.so",
         e4[] = "REPLREC_PROCESS=7", e5[] = "PATH=/bin";
    char *environment[] = {e1, e2, e3, e4, e5, NULL};
    struct repl_layer_environment kept = {.layer_path = "/lib/layer.so"};
    char preload[256];
    repl_hide_layer(environment, &kept, preload, sizeof preload);
    CHECK(count(environment) == 3);
    CHECK(strcmp(environment[0], "HOME=/root") == 0);
    CHECK(strcmp(environment[1], "LD_PRELOAD=/a.so:/b.so") == 0);
    CHECK(strcmp(environment[2], "PATH=/bin") == 0);
    CHECK(kept.count == 2);
    CHECK(strcmp(repl_layer_variable(&kept, "REPLREC_PROCESS"), "7") == 0);
    CHECK(strcmp(repl_layer_variable(&kept, REPL_ENV_SHM), "/replrec-1") == 0);
    CHECK(repl_layer_variable(&kept, "REPLREC_PROC") == NULL); /* a prefix is not a name */
}

static void hiding_drops_a_preload_of_only_the_layer(void) {
    char e1[] = "LD_PRELOAD=/lib/layer.so", e2[] = "TERM=dumb";
    char *environment[] = {e1, e2, NULL};
    struct repl_layer_environment kept = {.layer_path = "/lib/layer.so"};
    char preload[256];
    repl_hide_layer(environment, &kept, preload, sizeof preload);
    CHECK(count(environment) == 1);
    CHECK(strcmp(environment[0], "TERM=dumb") == 0);
}

static void an_exec_environment_puts_the_layer_first_and_names_the_process(void) {
    struct repl_layer_environment kept = {
        .variables = {"REPLREC_SHM=/replrec-1", "REPLREC_PROCESS=0", "REPLREC_LAYER=/lib/layer.so"},
        .count = 3, .layer_path = "/lib/layer.so"};
    char *program[] = {"A=1", "LD_PRELOAD=/user.so", "REPLREC_SHM=/stale", NULL};
    char **built = repl_build_environment(program, &kept, 42);
    CHECK(built != NULL);
    CHECK(contains(built, "A=1"));
    CHECK(contains(built, "LD_PRELOAD=/lib/layer.so:/user.so"));
    CHECK(contains(built, "REPLREC_SHM=/replrec-1"));
    CHECK(!contains(built, "REPLREC_SHM=/stale"));
    CHECK(contains(built, "REPLREC_LAYER=/lib/layer.so"));
    CHECK(contains(built, "REPLREC_PROCESS=42"));
    CHECK(!contains(built, "REPLREC_PROCESS=0"));
    CHECK(count(built) == 5);
    repl_free_environment(built);

    char *empty[] = {NULL};
    built = repl_build_environment(empty, &kept, 3);
    CHECK(contains(built, "LD_PRELOAD=/lib/layer.so"));
    CHECK(count(built) == 4);
    repl_free_environment(built);

    char *already[] = {"LD_PRELOAD=/x.so:/lib/layer.so", NULL}; /* kept as the program set it */
    built = repl_build_environment(already, &kept, 1);
    CHECK(contains(built, "LD_PRELOAD=/x.so:/lib/layer.so"));
    repl_free_environment(built);
}

static void outputs_parse_until_the_first_malformed_entry(void) {
    struct repl_file_identity out[4];
    CHECK(repl_parse_outputs("00000000000000000034:00000000000000000012,7:9", out, 4) == 2);
    CHECK(out[0].device == 34 && out[0].inode == 12);
    CHECK(out[1].device == 7 && out[1].inode == 9);
    CHECK(repl_parse_outputs("1:2,3:4,5:6", out, 2) == 2); /* capacity */
    CHECK(repl_parse_outputs("1:2,x:4", out, 4) == 1);
    CHECK(repl_parse_outputs("1", out, 4) == 0);
    CHECK(repl_parse_outputs("1:", out, 4) == 0);
    CHECK(repl_parse_outputs("", out, 4) == 0);
    CHECK(repl_parse_outputs(NULL, out, 4) == 0);
}

static repl_slot turn; /* the turn a settle happens in, which a stop names */

static bool cloexec(int fd) {
    return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

static void settling_moves_a_descriptor_with_its_flags(void) {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(repl_settle(&turn, fd, 200) == 200);
    CHECK(fcntl(fd, F_GETFD) < 0); /* the old number is free */
    CHECK(cloexec(200));
    close(200);
    fd = open("/dev/null", O_RDONLY);
    CHECK(repl_settle(&turn, fd, 201) == 201 && !cloexec(201));
    close(201);
    CHECK(repl_settle(&turn, -1, 5) == -1);
    fd = open("/dev/null", O_RDONLY);
    CHECK(repl_settle(&turn, fd, fd) == fd);
    close(fd);
}

/* A number that another thread's descriptor holds for a moment (the layer's look at /proc, at
 * replay) is waited for, and that descriptor stays its own while it is held. */
struct holder {
    int fd;
    ino_t inode;
    bool intact;
};

static void *hold_for_a_moment(void *argument) {
    struct holder *holder = argument;
    struct timespec moment = {0, 30 * 1000 * 1000};
    nanosleep(&moment, NULL);
    struct stat info;
    holder->intact = fstat(holder->fd, &info) == 0 && info.st_ino == holder->inode;
    close(holder->fd);
    return NULL;
}

static void settling_waits_for_a_number_held_elsewhere(void) {
    int fds[2];
    CHECK(pipe(fds) == 0);
    struct holder holder = {.fd = 220};
    CHECK(dup2(fds[0], holder.fd) == holder.fd);
    close(fds[0]);
    close(fds[1]);
    struct stat info;
    CHECK(fstat(holder.fd, &info) == 0);
    holder.inode = info.st_ino;
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, hold_for_a_moment, &holder) == 0);
    int fd = open("/dev/null", O_RDONLY);
    CHECK(repl_settle(&turn, fd, holder.fd) == holder.fd);
    pthread_join(thread, NULL);
    CHECK(holder.intact);
    CHECK(fstat(holder.fd, &info) == 0 && S_ISCHR(info.st_mode)); /* /dev/null, settled once free */
    close(holder.fd);
}

/* A number held for good is a divergence at the turn, naming the number; the holder keeps it. */
static void settling_onto_a_number_held_for_good_stops(void) {
    int held = open("/dev/zero", O_RDONLY);
    int target = dup2(held, 221);
    close(held);
    int fd = open("/dev/null", O_RDONLY);
    stop_detail[0] = 0;
    if (setjmp(stopped) == 0) {
        repl_settle(&turn, fd, target);
        CHECK(!"settled onto a held number");
    }
    CHECK(strstr(stop_detail, "descriptor 221") != NULL);
    struct stat info;
    CHECK(fstat(target, &info) == 0 && info.st_rdev == (dev_t)makedev(1, 5)); /* still /dev/zero */
    close(target);
    close(fd);
}

/* A pair that came out swapped, or overlapping its recorded numbers, ends where it was recorded
 * and still connects its two ends. */
static void settling_a_pair_never_clobbers_one_end_with_the_other(void) {
    int fds[2];
    CHECK(pipe(fds) == 0);
    int recorded[2] = {fds[1], fds[0]};
    repl_settle_pair(&turn, fds, recorded);
    CHECK(fds[0] == recorded[0] && fds[1] == recorded[1]);
    CHECK(write(fds[1], "x", 1) == 1);
    char c = 0;
    CHECK(read(fds[0], &c, 1) == 1 && c == 'x');
    close(fds[0]);
    close(fds[1]);

    CHECK(pipe(fds) == 0);
    int shifted[2] = {fds[1], 210}; /* the read end goes where the write end is */
    repl_settle_pair(&turn, fds, shifted);
    CHECK(fds[0] == shifted[0] && fds[1] == 210);
    CHECK(write(fds[1], "y", 1) == 1 && read(fds[0], &c, 1) == 1 && c == 'y');
    close(fds[0]);
    close(fds[1]);
}

static void waiters_are_found_again_and_never_shared(void) {
    size_t size = repl_ring_offset();
    repl_shared *shared = calloc(1, size);
    CHECK(repl_find_waiter(shared, 3, 4, 0) == NULL); /* never waited */
    repl_waiter *a = repl_find_waiter(shared, 3, 4, 1);
    CHECK(a != NULL && repl_find_waiter(shared, 3, 4, 0) == a && repl_find_waiter(shared, 3, 4, 1) == a);
    repl_waiter *b = repl_find_waiter(shared, 4, 3, 1);
    CHECK(b != NULL && b != a);
    repl_waiter *root = repl_find_waiter(shared, 0, 0, 1); /* key 0 means free: ids are offset */
    CHECK(root != NULL && root != a && root != b && repl_find_waiter(shared, 0, 0, 0) == root);
    int distinct = 1;
    for (uint32_t i = 0; i < REPL_WAITERS - 3; i++) /* the table fills up completely */
        distinct &= repl_find_waiter(shared, 100, i, 1) != NULL;
    CHECK(distinct);
    CHECK(repl_find_waiter(shared, 101, 0, 1) == NULL); /* full */
    CHECK(repl_find_waiter(shared, 3, 4, 1) == a);
    free(shared);
}

/* A program that starts threads all its life: the entries of exited threads are taken again,
 * and a released entry never hides a live one further along its probe chain. */
static void exited_threads_give_their_waiters_back(void) {
    repl_shared *shared = calloc(1, repl_ring_offset());
    int all = 1;
    for (uint32_t i = 0; i < 4 * REPL_WAITERS; i++) { /* four tables' worth, one at a time */
        repl_waiter *w = repl_find_waiter(shared, 7, i, 1);
        all &= w != NULL && repl_find_waiter(shared, 7, i, 0) == w;
        if (w) repl_release_waiter(w);
        all &= repl_find_waiter(shared, 7, i, 0) == NULL;
    }
    CHECK(all);
    repl_waiter *first = repl_find_waiter(shared, 9, 1, 1), *second = repl_find_waiter(shared, 9, 2, 1);
    repl_release_waiter(first);
    CHECK(repl_find_waiter(shared, 9, 2, 0) == second); /* found past the released entry */
    repl_waiter *third = repl_find_waiter(shared, 9, 3, 1);
    CHECK(third != NULL && third != second && repl_find_waiter(shared, 9, 3, 0) == third);
    free(shared);
}

int main(void) {
    repl_real.dup3 = dlsym(RTLD_NEXT, "dup3");
    repl_real.close = dlsym(RTLD_NEXT, "close");
    repl_real.fcntl = dlsym(RTLD_NEXT, "fcntl");
    hiding_keeps_the_users_preloads_in_order();
    hiding_drops_a_preload_of_only_the_layer();
    an_exec_environment_puts_the_layer_first_and_names_the_process();
    outputs_parse_until_the_first_malformed_entry();
    settling_moves_a_descriptor_with_its_flags();
    settling_a_pair_never_clobbers_one_end_with_the_other();
    settling_waits_for_a_number_held_elsewhere();
    settling_onto_a_number_held_for_good_stops();
    waiters_are_found_again_and_never_shared();
    exited_threads_give_their_waiters_back();
    printf("layer unit tests: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
