/* An LD_PRELOAD shim for the fsync-failure test: the Nth flush (fsync or fdatasync) of a file
 * whose name ends in "-wal" fails with EIO, N from MFA_FAIL_WAL_FSYNC; every other flush goes
 * to the C library. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int wal_flushes;

static int is_wal(int fd) {
    char link[64], name[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, name, sizeof name - 1);
    if (n < 4) return 0;
    name[n] = 0;
    return strcmp(name + n - 4, "-wal") == 0;
}

static int should_fail(int fd) {
    const char *at = getenv("MFA_FAIL_WAL_FSYNC");
    if (at == NULL || !is_wal(fd)) return 0;
    return __atomic_add_fetch(&wal_flushes, 1, __ATOMIC_SEQ_CST) == atoi(at);
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    if (should_fail(fd)) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    if (should_fail(fd)) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}
