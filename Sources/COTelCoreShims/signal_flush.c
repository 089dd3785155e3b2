/* Export on SIGTERM and SIGINT (otel_core_shims.h): a signal handler may
 * not export (it could interrupt a thread holding any lock), so it asks a
 * helper thread to, waits for it (bounded), then restores the default
 * action and raises the signal again: the process ends as it would have,
 * killed by that signal, with what it recorded exported. */
#define _GNU_SOURCE
#include "otel_core_shims.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void (*flush_callback)(int signal_number);
static int request_pipe[2] = {-1, -1}; /* handler → helper: the signal number */
static int done_pipe[2] = {-1, -1};    /* helper → handler: finished */
static int wait_milliseconds;
static pid_t installer; /* the helper thread exists in this process only (not in a forked child) */

static void dies_by(int signal_number) {
    struct sigaction default_action;
    memset(&default_action, 0, sizeof default_action);
    default_action.sa_handler = SIG_DFL;
    sigaction(signal_number, &default_action, NULL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, signal_number);
    raise(signal_number); /* pending while this handler runs; delivered when it is unblocked */
    pthread_sigmask(SIG_UNBLOCK, &only, NULL);
}

/* Async-signal-safe: write, poll, read, sigaction, raise, pthread_sigmask, getpid. */
static void on_signal(int signal_number) {
    int saved = errno;
    if (getpid() == installer) {
        int number = signal_number;
        if (write(request_pipe[1], &number, sizeof number) == (ssize_t)sizeof number) {
            struct pollfd done = {.fd = done_pipe[0], .events = POLLIN};
            if (poll(&done, 1, wait_milliseconds) == 1) {
                char byte;
                (void)!read(done_pipe[0], &byte, 1);
            }
        }
    }
    dies_by(signal_number);
    errno = saved;
}

static void *helper(void *unused) {
    (void)unused;
    otel_shim_set_thread_name("otel-signal");
    otel_shim_run_sdk_thread_start();
    for (;;) {
        int number;
        ssize_t got = read(request_pipe[0], &number, sizeof number);
        if (got < 0 && errno == EINTR) continue;
        if (got != (ssize_t)sizeof number) return NULL;
        flush_callback(number);
        char byte = 1;
        (void)!write(done_pipe[1], &byte, 1);
    }
}

/* Whether the program left `signal_number` at its default action. */
static bool left_default(int signal_number) {
    struct sigaction current;
    return sigaction(signal_number, NULL, &current) == 0 && !(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_DFL;
}

int otel_shim_flush_on_signal(void (*flush)(int signal_number), int timeout_milliseconds) {
    int chosen[2], count = 0;
    if (left_default(SIGTERM)) chosen[count++] = SIGTERM;
    if (left_default(SIGINT)) chosen[count++] = SIGINT;
    if (!count) return 0; /* the program handles (or ignores) both itself */
    if (pipe2(request_pipe, O_CLOEXEC) != 0) return -1;
    if (pipe2(done_pipe, O_CLOEXEC) != 0) return -1;
    flush_callback = flush;
    wait_milliseconds = timeout_milliseconds;
    installer = getpid();
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous); /* the helper never takes the program's signals */
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    int created = pthread_create(&thread, &attributes, helper, NULL);
    pthread_attr_destroy(&attributes);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (created != 0) return -1;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigfillset(&action.sa_mask);
    int installed = 0;
    for (int i = 0; i < count; i++) installed += sigaction(chosen[i], &action, NULL) == 0;
    return installed;
}
