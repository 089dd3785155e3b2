/* Export threads with a descriptor table of their own (otel_core_shims.h).
 *
 * While a second thread shares a process's descriptor table, the kernel
 * counts references on every file a system call looks up (a single-threaded
 * process skips that), and any descriptor the SDK opens there can be closed
 * or renumbered under it by the program (closefrom, dup2). An export thread
 * whose exporters open and close their descriptors within each call
 * (OTEL_EXPORTER_CONFINED_DESCRIPTORS) therefore drops the shared table:
 * close_range(CLOSE_RANGE_UNSHARE) over every descriptor gives it an empty
 * table of its own, copying none (Linux 5.9). What it still writes to the
 * program's descriptors (diagnostics on standard error) goes through a
 * duplicate fetched for that write with pidfd_getfd (Linux 5.6; allowed on
 * one's own process). Where either call is missing or refused (an older
 * kernel), the thread keeps the shared table; under a seccomp filter, which
 * may kill the process for a system call it does not expect, neither is tried. */
#define _GNU_SOURCE
#include "otel_core_shims.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1u << 1)
#endif

/* This thread's handle on its own process when its table is its own, else -1. */
static __thread int otel_shim_own_process __attribute__((tls_model("initial-exec"))) = -1;

static int otel_shim_pidfd_open(void) { return (int)syscall(SYS_pidfd_open, getpid(), 0); }

static int otel_shim_program_descriptor(int pidfd, int fd) { return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0); }

/* Whether a seccomp filter applies to this process (its status says "Seccomp:"
 * and a mode other than 0); unknown counts as filtered. Read once: a filter,
 * once set, stays, and children inherit it. */
static bool otel_shim_seccomp_filtered(void) {
    static int known = -1; /* -1 not read yet, 0 no filter, 1 filtered or unknown */
    int answer = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (answer >= 0) return answer;
    answer = 1;
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char status[4096];
        ssize_t length = read(fd, status, sizeof status - 1);
        close(fd);
        if (length > 0) {
            status[length] = '\0';
            const char *line = strstr(status, "\nSeccomp:");
            if (line) {
                line += strlen("\nSeccomp:");
                while (*line == ' ' || *line == '\t') line++;
                answer = *line != '0';
            }
        }
    }
    __atomic_store_n(&known, answer, __ATOMIC_RELAXED);
    return answer;
}

bool otel_shim_export_thread_own_descriptors(void) {
    /* A thread started by the exit flush exports once: a table of its own would gain nothing. */
    if (otel_shim_is_process_exiting() || otel_shim_seccomp_filtered()) return false;
    /* First whether the program's standard error can be fetched from here
     * (pidfd_getfd is refused under some seccomp filters); EBADF: it is closed. */
    int pidfd = otel_shim_pidfd_open();
    if (pidfd < 0) return false;
    int probe = otel_shim_program_descriptor(pidfd, 2);
    int reason = errno;
    if (probe >= 0) close(probe);
    close(pidfd);
    if (probe < 0 && reason != EBADF) return false;
    /* Every descriptor closed in a table of our own: nothing is copied into it. */
    if (syscall(SYS_close_range, 0u, ~0u, CLOSE_RANGE_UNSHARE) != 0) return false;
    otel_shim_own_process = otel_shim_pidfd_open(); /* in our own table now */
    return true;
}

void otel_shim_write_to_program(int fd, const void *bytes, size_t length) {
    int target = fd;
    if (otel_shim_own_process >= 0) {
        target = otel_shim_program_descriptor(otel_shim_own_process, fd);
        if (target < 0) return; /* closed in the program: nowhere to write */
    }
    const char *next = bytes;
    while (length) {
        ssize_t written = write(target, next, length);
        if (written < 0) {
            if (errno == EINTR) continue;
            break;
        }
        next += written;
        length -= (size_t)written;
    }
    if (target != fd) close(target);
}
