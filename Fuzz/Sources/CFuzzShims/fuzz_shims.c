#include "fuzz_shims.h"

#include <stdio.h>
#include <sys/prctl.h>

int fuzz_become_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

void fuzz_line_buffered_output(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}
