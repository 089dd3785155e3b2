/* Process trees (issue 7): children started by exec or posix_spawn get the
 * trace context of the span current when they were started, in their
 * environment (context/env-carriers.md), and keep our preload, so that
 * their own spans (their process span first) join the same trace; the exit
 * status goes to the process span; the process span ends and pending
 * telemetry is exported before the image is replaced (exec) or ends without
 * exit handlers (_exit).
 *
 * Wrapped through the GOT of the program and its libraries: execve, execv,
 * execvp, execvpe, execl, execlp, execle, fexecve, posix_spawn,
 * posix_spawnp; system, popen and pclose (glibc starts their shell through
 * its internal posix_spawn, out of any GOT's reach, so they are done here as
 * glibc does them, through posix_spawn with the child's environment); exit,
 * _exit, _Exit; and __libc_start_main in the executable, so that main's
 * return value is seen.
 *
 * exec may run in a vfork child, on its parent's memory and stack: nothing
 * here allocates, locks or writes outside the stack on that path (the
 * environment is built on the stack, or in a fresh mapping when it is too
 * big for it), and the per-thread wrapper guard is not used (a successful
 * exec would leave it set in the parent). */
#define _GNU_SOURCE
#include "otel_child_environment.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "otel_plugin.h"

OTEL_PLUGIN_DECLARE_ABI();

extern char **environ;

static const otel_host_api *host;
static otel_child_inheritance inheritance;

static int (*real_execve)(const char *, char *const[], char *const[]);
/* The engine's record of the originals of the wrappers that call another
 * function (execv and execl through execve, execvp and execlp through
 * execvpe, with the child's environment). */
static void *original_execv, *original_execvp, *original_execl, *original_execlp, *original_execle;
static int (*real_execvpe)(const char *, char *const[], char *const[]);
static int (*real_fexecve)(int, char *const[], char *const[]);
static int (*real_posix_spawn)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
                               char *const[], char *const[]);
static int (*real_posix_spawnp)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
                                char *const[], char *const[]);
/* The engine's record of system's original: ours starts the shell itself. */
static void *original_system;
static FILE *(*real_popen)(const char *, const char *);
static int (*real_pclose)(FILE *);
static void (*real_exit)(int);
static void (*real__exit)(int);
static void (*real__Exit)(int);
typedef int (*main_function)(int, char **, char **);
static int (*real_libc_start_main)(main_function, int, char **, void (*)(void), void (*)(void), void (*)(void), void *);
static main_function real_main;

/* ---- the child's environment ------------------------------------------------ */

/* What a wrapper does once the child's environment is ready. */
typedef struct launch {
    int (*call)(const struct launch *launch, char *const environment[]);
    const char *path;
    char *const *argv;
    int fd;
    pid_t *pid;
    const posix_spawn_file_actions_t *actions;
    const posix_spawnattr_t *attributes;
    bool replaces_image; /* exec: the process span ends first */
} launch;

#define STACK_SLOTS 512
#define STACK_TEXT 8192

/* Calls `launch` with the child environment of `environment`; errno is what the call left. */
static int with_child_environment(const launch *launch, char *const environment[]) {
    char traceparent[56];
    const char *context = host->process_traceparent && host->process_traceparent(traceparent) ? traceparent : NULL;
    size_t text_bytes;
    size_t slots = otel_child_environment_slots(&inheritance, environment, &text_bytes);
    if (launch->replaces_image && host->process_ending) host->process_ending();
    if (slots <= STACK_SLOTS && text_bytes <= STACK_TEXT) {
        char *slot_space[STACK_SLOTS];
        char text_space[STACK_TEXT];
        return launch->call(launch, otel_child_environment_build(&inheritance, environment, context, slot_space, text_space));
    }
    /* A large environment: a mapping of its own (mmap takes no user-space lock). */
    size_t size = slots * sizeof(char *) + text_bytes;
    void *mapping = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED) return launch->call(launch, environment); /* as the program asked, untraced */
    char **built = otel_child_environment_build(&inheritance, environment, context, mapping, (char *)mapping + slots * sizeof(char *));
    int result = launch->call(launch, built);
    int saved = errno;
    munmap(mapping, size);
    errno = saved;
    return result;
}

static int call_execve(const launch *launch, char *const environment[]) {
    return real_execve(launch->path, launch->argv, environment);
}

static int call_execvpe(const launch *launch, char *const environment[]) {
    return real_execvpe(launch->path, launch->argv, environment);
}

static int call_fexecve(const launch *launch, char *const environment[]) {
    return real_fexecve(launch->fd, launch->argv, environment);
}

static int call_posix_spawn(const launch *launch, char *const environment[]) {
    return real_posix_spawn(launch->pid, launch->path, launch->actions, launch->attributes, launch->argv, environment);
}

static int call_posix_spawnp(const launch *launch, char *const environment[]) {
    return real_posix_spawnp(launch->pid, launch->path, launch->actions, launch->attributes, launch->argv, environment);
}

/* ---- the wrappers ------------------------------------------------------------ */

static int wrapped_execve(const char *path, char *const argv[], char *const envp[]) {
    launch launch = {.call = call_execve, .path = path, .argv = argv, .replaces_image = true};
    return with_child_environment(&launch, envp);
}

static int wrapped_execv(const char *path, char *const argv[]) {
    launch launch = {.call = call_execve, .path = path, .argv = argv, .replaces_image = true};
    return with_child_environment(&launch, environ);
}

static int wrapped_execvp(const char *file, char *const argv[]) {
    launch launch = {.call = call_execvpe, .path = file, .argv = argv, .replaces_image = true};
    return with_child_environment(&launch, environ);
}

static int wrapped_execvpe(const char *file, char *const argv[], char *const envp[]) {
    launch launch = {.call = call_execvpe, .path = file, .argv = argv, .replaces_image = true};
    return with_child_environment(&launch, envp);
}

static int wrapped_fexecve(int fd, char *const argv[], char *const envp[]) {
    launch launch = {.call = call_fexecve, .fd = fd, .argv = argv, .replaces_image = true};
    return with_child_environment(&launch, envp);
}

/* execl, execlp, execle: the arguments up to the NULL gathered into an array
 * on the stack, as glibc does; execle's environment follows that NULL. */
static int exec_listed(int (*call)(const launch *, char *const[]), const char *path, const char *first, va_list arguments,
                       bool environment_follows) {
    va_list counting;
    va_copy(counting, arguments);
    size_t count = 1;
    while (va_arg(counting, char *)) count++;
    va_end(counting);
    char *argv[count + 1];
    argv[0] = (char *)first;
    for (size_t i = 1; i <= count; i++) argv[i] = va_arg(arguments, char *); /* argv[count]: the NULL */
    char *const *environment = environment_follows ? va_arg(arguments, char *const *) : environ;
    launch launch = {.call = call, .path = path, .argv = argv, .replaces_image = true};
    return with_child_environment(&launch, environment);
}

static int wrapped_execl(const char *path, const char *arg, ...) {
    va_list arguments;
    va_start(arguments, arg);
    int result = exec_listed(call_execve, path, arg, arguments, false);
    va_end(arguments);
    return result;
}

static int wrapped_execlp(const char *file, const char *arg, ...) {
    va_list arguments;
    va_start(arguments, arg);
    int result = exec_listed(call_execvpe, file, arg, arguments, false);
    va_end(arguments);
    return result;
}

static int wrapped_execle(const char *path, const char *arg, ...) {
    va_list arguments;
    va_start(arguments, arg);
    int result = exec_listed(call_execve, path, arg, arguments, true);
    va_end(arguments);
    return result;
}

static int wrapped_posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                               const posix_spawnattr_t *attributes, char *const argv[], char *const envp[]) {
    launch launch = {.call = call_posix_spawn, .pid = pid, .path = path, .actions = actions, .attributes = attributes, .argv = argv};
    return with_child_environment(&launch, envp);
}

static int wrapped_posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
                                const posix_spawnattr_t *attributes, char *const argv[], char *const envp[]) {
    launch launch = {.call = call_posix_spawnp, .pid = pid, .path = file, .actions = actions, .attributes = attributes, .argv = argv};
    return with_child_environment(&launch, envp);
}

/* ---- system, popen, pclose (POSIX; as glibc does them) ------------------------- */

/* system() ignores SIGINT and SIGQUIT while a command runs; concurrent calls share that. */
static pthread_mutex_t system_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned system_callers;
static struct sigaction saved_interrupt, saved_quit;

/* Runs `/bin/sh -c command` with the child's environment; 0 or an errno value. */
static int spawn_shell(pid_t *pid, const char *command, const posix_spawn_file_actions_t *actions, const posix_spawnattr_t *attributes) {
    char *argv[] = {"sh", "-c", (char *)command, NULL};
    launch launch = {.call = call_posix_spawn, .pid = pid, .path = "/bin/sh", .actions = actions, .attributes = attributes, .argv = argv};
    return with_child_environment(&launch, environ);
}

static int wrapped_system(const char *command) {
    if (!command) return wrapped_system("exit 0") == 0; /* whether a shell exists, as glibc asks it */
    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    pthread_mutex_lock(&system_lock);
    if (system_callers++ == 0) {
        sigaction(SIGINT, &ignore, &saved_interrupt);
        sigaction(SIGQUIT, &ignore, &saved_quit);
    }
    pthread_mutex_unlock(&system_lock);
    sigset_t child_signal, previous_mask;
    sigemptyset(&child_signal);
    sigaddset(&child_signal, SIGCHLD);
    sigprocmask(SIG_BLOCK, &child_signal, &previous_mask);
    /* The shell gets the caller's mask and SIGINT/SIGQUIT as they were before we ignored them. */
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t defaults;
    sigemptyset(&defaults);
    if (saved_interrupt.sa_handler != SIG_IGN) sigaddset(&defaults, SIGINT);
    if (saved_quit.sa_handler != SIG_IGN) sigaddset(&defaults, SIGQUIT);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setsigmask(&attributes, &previous_mask);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    pid_t pid;
    int status;
    int error = spawn_shell(&pid, command, NULL, &attributes);
    posix_spawnattr_destroy(&attributes);
    if (error == 0) {
        while (waitpid(pid, &status, 0) < 0) {
            if (errno != EINTR) {
                status = -1;
                break;
            }
        }
    } else {
        status = W_EXITCODE(127, 0); /* as glibc: the shell could not be started */
    }
    int saved = errno;
    pthread_mutex_lock(&system_lock);
    if (--system_callers == 0) {
        sigaction(SIGINT, &saved_interrupt, NULL);
        sigaction(SIGQUIT, &saved_quit, NULL);
    }
    pthread_mutex_unlock(&system_lock);
    sigprocmask(SIG_SETMASK, &previous_mask, NULL);
    errno = saved;
    return status;
}

/* The streams popen returned and not yet pclose'd, with their shells. */
typedef struct piped {
    FILE *stream;
    pid_t pid;
    struct piped *next;
} piped;
static pthread_mutex_t piped_lock = PTHREAD_MUTEX_INITIALIZER;
static piped *piped_streams;

static FILE *wrapped_popen(const char *command, const char *mode) {
    bool reading = mode && mode[0] == 'r', writing = mode && mode[0] == 'w';
    if (!command || (!reading && !writing)) return real_popen(command, mode); /* its own errors */
    bool close_on_exec = strchr(mode + 1, 'e') != NULL;
    piped *entry = malloc(sizeof *entry);
    int ends[2];
    if (!entry || pipe2(ends, O_CLOEXEC) != 0) {
        int saved = errno;
        free(entry);
        errno = entry ? saved : ENOMEM;
        return NULL;
    }
    int ours = reading ? ends[0] : ends[1], theirs = reading ? ends[1] : ends[0], target = reading ? STDOUT_FILENO : STDIN_FILENO;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    /* dup2 onto itself clears close-on-exec (glibc 2.29), for a pipe end that is already 0 or 1. */
    posix_spawn_file_actions_adddup2(&actions, theirs, target);
    pthread_mutex_lock(&piped_lock);
    /* POSIX: streams of earlier popen calls still open are closed in the new child. */
    for (piped *earlier = piped_streams; earlier; earlier = earlier->next)
        posix_spawn_file_actions_addclose(&actions, fileno(earlier->stream));
    int error = spawn_shell(&entry->pid, command, &actions, NULL);
    posix_spawn_file_actions_destroy(&actions);
    close(theirs);
    FILE *stream = NULL;
    if (error == 0) {
        if (!close_on_exec) fcntl(ours, F_SETFD, 0); /* without 'e', children of the caller inherit it, as with glibc */
        stream = fdopen(ours, reading ? "r" : "w");
        if (!stream) error = errno;
    }
    if (!stream) {
        close(ours);
        if (error == 0) waitpid(entry->pid, NULL, 0);
        pthread_mutex_unlock(&piped_lock);
        free(entry);
        errno = error;
        return NULL;
    }
    entry->stream = stream;
    entry->next = piped_streams;
    piped_streams = entry;
    pthread_mutex_unlock(&piped_lock);
    return stream;
}

static int wrapped_pclose(FILE *stream) {
    pthread_mutex_lock(&piped_lock);
    piped **link = &piped_streams;
    while (*link && (*link)->stream != stream) link = &(*link)->next;
    piped *entry = *link;
    if (entry) *link = entry->next;
    pthread_mutex_unlock(&piped_lock);
    if (!entry) return real_pclose(stream); /* a stream the real popen made */
    pid_t pid = entry->pid;
    free(entry);
    fclose(stream);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return status;
}

__attribute__((noreturn)) static void wrapped_exit(int status) {
    host->process_exit_status(status);
    real_exit(status);
    __builtin_unreachable();
}

/* _exit and _Exit skip the exit handlers: what is pending is exported first. */
__attribute__((noreturn)) static void wrapped__exit(int status) {
    host->process_exit_status(status);
    host->process_ending();
    real__exit(status);
    __builtin_unreachable();
}

__attribute__((noreturn)) static void wrapped__Exit(int status) {
    host->process_exit_status(status);
    host->process_ending();
    real__Exit(status);
    __builtin_unreachable();
}

/* main's return value is the exit status __libc_start_main passes to exit inside libc. */
static int main_returning(int argc, char **argv, char **envp) {
    int status = real_main(argc, argv, envp);
    host->process_exit_status(status);
    return status;
}

static int wrapped_libc_start_main(main_function main, int argc, char **argv, void (*init)(void), void (*fini)(void),
                                   void (*rtld_fini)(void), void *stack_end) {
    real_main = main;
    return real_libc_start_main(main_returning, argc, argv, init, fini, rtld_fini, stack_end);
}

/* ---- the plugin ------------------------------------------------------------------ */

#define HOOK_COUNT 17
static void *hooks[HOOK_COUNT];

static int instrument(void *state, const otel_host_api *the_host) {
    (void)state;
    host = the_host;
    otel_child_inheritance_take(&inheritance, environ);
    static const otel_plugin_hook table[HOOK_COUNT] = {
        {"execve", (void *)wrapped_execve, (void **)&real_execve},
        {"execv", (void *)wrapped_execv, &original_execv},
        {"execvp", (void *)wrapped_execvp, &original_execvp},
        {"execvpe", (void *)wrapped_execvpe, (void **)&real_execvpe},
        {"execl", (void *)wrapped_execl, &original_execl},
        {"execlp", (void *)wrapped_execlp, &original_execlp},
        {"execle", (void *)wrapped_execle, &original_execle},
        {"fexecve", (void *)wrapped_fexecve, (void **)&real_fexecve},
        {"posix_spawn", (void *)wrapped_posix_spawn, (void **)&real_posix_spawn},
        {"posix_spawnp", (void *)wrapped_posix_spawnp, (void **)&real_posix_spawnp},
        {"system", (void *)wrapped_system, &original_system},
        {"popen", (void *)wrapped_popen, (void **)&real_popen},
        {"pclose", (void *)wrapped_pclose, (void **)&real_pclose},
        {"exit", (void *)wrapped_exit, (void **)&real_exit},
        {"_exit", (void *)wrapped__exit, (void **)&real__exit},
        {"_Exit", (void *)wrapped__Exit, (void **)&real__Exit},
        {"__libc_start_main", (void *)wrapped_libc_start_main, (void **)&real_libc_start_main},
    };
    return otel_plugin_wrap_all(host, table, HOOK_COUNT, hooks);
}

static int uninstrument(void *state, const otel_host_api *the_host) {
    (void)state;
    otel_plugin_unwrap_all(the_host, hooks, HOOK_COUNT);
    return 0;
}

__attribute__((visibility("default")))
const otel_plugin_descriptor *otel_process_entry(const otel_host_api *the_host) {
    static otel_plugin_descriptor descriptor = {
        OTEL_PLUGIN_DESCRIPTOR_HEADER,
        .name = "otel-native-process",
        .version = "0.1.0",
        .instrument = instrument,
        .uninstrument = uninstrument,
    };
    if (the_host->size < sizeof(otel_host_api)) return NULL;
    return &descriptor;
}
