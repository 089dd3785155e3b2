/* Direct system calls while the program has one thread (otel_hook.h).
 *
 * glibc's wrappers of blocking calls (read, recv, writev, epoll_wait …) are
 * cancellation points. In a multi-threaded process each call switches the
 * thread to asynchronous cancellation and back around its system call (two
 * atomic read-modify-writes, sysdeps/unix/sysdep.h SYSCALL_CANCEL); in a
 * single-threaded one glibc skips that (SINGLE_THREAD_P) and makes the system
 * call alone. The SDK's export threads make every instrumented process
 * multi-threaded in glibc's eyes, so a single-threaded program such as an
 * nginx worker would pay for it on every call, though it has no other thread
 * that could cancel the one it has (measured: docs/performance.md).
 *
 * So while the program has started no thread and cancelled none, its calls
 * to these functions make the system call themselves: the one glibc's
 * single-threaded path makes, with the same arguments, errno set the same
 * way, through the same GOT slots other hooks use (a wrapper's original is
 * the direct function; a slot another hook holds is never taken). From the
 * moment the program starts a thread (pthread_create, thrd_create, a
 * SIGEV_THREAD timer or message-queue notification, a library's constructor
 * during dlopen) or calls pthread_cancel (which makes glibc act on
 * cancellation points even with one thread), every call goes through glibc
 * again, for good. x86-64 only for now: elsewhere nothing changes. */
#define _GNU_SOURCE
#include "otel_hook.h"
#include "otel_hook_internal.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/single_threaded.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)

/* Whether the program may have a thread besides the one it started with. */
atomic_bool otel_hook_program_threads;

static inline bool direct(void) { return !otel_hook_program_has_threads(); }

/* The system call `number`: its result, or -1 with errno set (glibc's INLINE_SYSCALL). */
static inline long system_call(long number, long a, long b, long c, long d, long e, long f) {
    long result;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(result)
                     : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    if ((unsigned long)result > -4096UL) {
        errno = (int)-result;
        return -1;
    }
    return result;
}

/* glibc's own functions, called once the program has threads. */
static struct {
    ssize_t (*read)(int, void *, size_t);
    ssize_t (*write)(int, const void *, size_t);
    ssize_t (*readv)(int, const struct iovec *, int);
    ssize_t (*writev)(int, const struct iovec *, int);
    ssize_t (*pread)(int, void *, size_t, off_t);
    ssize_t (*pwrite)(int, const void *, size_t, off_t);
    ssize_t (*recv)(int, void *, size_t, int);
    ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
    ssize_t (*recvmsg)(int, struct msghdr *, int);
    ssize_t (*send)(int, const void *, size_t, int);
    ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    ssize_t (*sendmsg)(int, const struct msghdr *, int);
    int (*accept)(int, struct sockaddr *, socklen_t *);
    int (*accept4)(int, struct sockaddr *, socklen_t *, int);
    int (*connect)(int, const struct sockaddr *, socklen_t);
    int (*close)(int);
    int (*open)(const char *, int, ...);
    int (*openat)(int, const char *, int, ...);
    int (*epoll_wait)(int, struct epoll_event *, int, int);
    int (*epoll_pwait)(int, struct epoll_event *, int, int, const sigset_t *);
    int (*poll)(struct pollfd *, unsigned long, int);
} libc;

/* Each direct function: the system call glibc makes for it on x86-64 (its
 * sysdeps/unix/sysv/linux sources, 2.36), or glibc's function once the program has threads. */
static OTEL_HOOK_HOT ssize_t direct_read(int fd, void *buffer, size_t count) {
    return direct() ? system_call(SYS_read, fd, (long)buffer, (long)count, 0, 0, 0) : libc.read(fd, buffer, count);
}
static OTEL_HOOK_HOT ssize_t direct_write(int fd, const void *buffer, size_t count) {
    return direct() ? system_call(SYS_write, fd, (long)buffer, (long)count, 0, 0, 0) : libc.write(fd, buffer, count);
}
static OTEL_HOOK_HOT ssize_t direct_readv(int fd, const struct iovec *vectors, int count) {
    return direct() ? system_call(SYS_readv, fd, (long)vectors, count, 0, 0, 0) : libc.readv(fd, vectors, count);
}
static OTEL_HOOK_HOT ssize_t direct_writev(int fd, const struct iovec *vectors, int count) {
    return direct() ? system_call(SYS_writev, fd, (long)vectors, count, 0, 0, 0) : libc.writev(fd, vectors, count);
}
static OTEL_HOOK_HOT ssize_t direct_pread(int fd, void *buffer, size_t count, off_t offset) {
    return direct() ? system_call(SYS_pread64, fd, (long)buffer, (long)count, offset, 0, 0) : libc.pread(fd, buffer, count, offset);
}
static OTEL_HOOK_HOT ssize_t direct_pwrite(int fd, const void *buffer, size_t count, off_t offset) {
    return direct() ? system_call(SYS_pwrite64, fd, (long)buffer, (long)count, offset, 0, 0) : libc.pwrite(fd, buffer, count, offset);
}
static OTEL_HOOK_HOT ssize_t direct_recv(int fd, void *buffer, size_t length, int flags) {
    return direct() ? system_call(SYS_recvfrom, fd, (long)buffer, (long)length, flags, 0, 0) : libc.recv(fd, buffer, length, flags);
}
static OTEL_HOOK_HOT ssize_t direct_recvfrom(int fd, void *buffer, size_t length, int flags, struct sockaddr *address, socklen_t *address_length) {
    return direct() ? system_call(SYS_recvfrom, fd, (long)buffer, (long)length, flags, (long)address, (long)address_length)
                    : libc.recvfrom(fd, buffer, length, flags, address, address_length);
}
static OTEL_HOOK_HOT ssize_t direct_recvmsg(int fd, struct msghdr *message, int flags) {
    return direct() ? system_call(SYS_recvmsg, fd, (long)message, flags, 0, 0, 0) : libc.recvmsg(fd, message, flags);
}
static OTEL_HOOK_HOT ssize_t direct_send(int fd, const void *buffer, size_t length, int flags) {
    return direct() ? system_call(SYS_sendto, fd, (long)buffer, (long)length, flags, 0, 0) : libc.send(fd, buffer, length, flags);
}
static OTEL_HOOK_HOT ssize_t direct_sendto(int fd, const void *buffer, size_t length, int flags, const struct sockaddr *address, socklen_t address_length) {
    return direct() ? system_call(SYS_sendto, fd, (long)buffer, (long)length, flags, (long)address, address_length)
                    : libc.sendto(fd, buffer, length, flags, address, address_length);
}
static OTEL_HOOK_HOT ssize_t direct_sendmsg(int fd, const struct msghdr *message, int flags) {
    return direct() ? system_call(SYS_sendmsg, fd, (long)message, flags, 0, 0, 0) : libc.sendmsg(fd, message, flags);
}
static OTEL_HOOK_HOT int direct_accept(int fd, struct sockaddr *address, socklen_t *length) {
    return direct() ? (int)system_call(SYS_accept, fd, (long)address, (long)length, 0, 0, 0) : libc.accept(fd, address, length);
}
static OTEL_HOOK_HOT int direct_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    return direct() ? (int)system_call(SYS_accept4, fd, (long)address, (long)length, flags, 0, 0) : libc.accept4(fd, address, length, flags);
}
static OTEL_HOOK_HOT int direct_connect(int fd, const struct sockaddr *address, socklen_t length) {
    return direct() ? (int)system_call(SYS_connect, fd, (long)address, length, 0, 0, 0) : libc.connect(fd, address, length);
}
static OTEL_HOOK_HOT int direct_close(int fd) {
    return direct() ? (int)system_call(SYS_close, fd, 0, 0, 0, 0, 0) : libc.close(fd);
}
/* open and openat are variadic: the mode follows the flags only when they
 * need one (__OPEN_NEEDS_MODE). Declared here with the mode as a fixed
 * argument: on x86-64 (System V ABI §3.5.7) a variadic call passes it in the
 * same register as a fixed one, and it is used only when the flags say it was
 * passed. This spares va_start's register save area, a few cache lines of
 * code on every open. */
static inline mode_t open_mode(int flags, mode_t mode) {
    return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? mode : 0;
}
static OTEL_HOOK_HOT int direct_open(const char *path, int flags, mode_t passed_mode) {
    mode_t mode = open_mode(flags, passed_mode);
    return direct() ? (int)system_call(SYS_openat, AT_FDCWD, (long)path, flags, mode, 0, 0) : libc.open(path, flags, mode);
}
static OTEL_HOOK_HOT int direct_openat(int directory, const char *path, int flags, mode_t passed_mode) {
    mode_t mode = open_mode(flags, passed_mode);
    return direct() ? (int)system_call(SYS_openat, directory, (long)path, flags, mode, 0, 0) : libc.openat(directory, path, flags, mode);
}
static OTEL_HOOK_HOT int direct_epoll_wait(int epoll, struct epoll_event *events, int capacity, int timeout) {
    return direct() ? (int)system_call(SYS_epoll_wait, epoll, (long)events, capacity, timeout, 0, 0)
                    : libc.epoll_wait(epoll, events, capacity, timeout);
}
static OTEL_HOOK_HOT int direct_epoll_pwait(int epoll, struct epoll_event *events, int capacity, int timeout, const sigset_t *mask) {
    return direct() ? (int)system_call(SYS_epoll_pwait, epoll, (long)events, capacity, timeout, (long)mask, _NSIG / 8)
                    : libc.epoll_pwait(epoll, events, capacity, timeout, mask);
}
static OTEL_HOOK_HOT int direct_poll(struct pollfd *descriptors, unsigned long count, int timeout) {
    return direct() ? (int)system_call(SYS_poll, (long)descriptors, (long)count, timeout, 0, 0, 0) : libc.poll(descriptors, count, timeout);
}

/* A function's names (64-bit aliases share glibc's function and ours);
 * `allocation`: routed only where the first thread keeps blocks (kept_blocks.c). */
static const struct direct_call {
    const char *name;
    void *function;
    void **libc_function;
    bool allocation;
} direct_calls[] = {
    {"read", (void *)direct_read, (void **)&libc.read},
    {"write", (void *)direct_write, (void **)&libc.write},
    {"readv", (void *)direct_readv, (void **)&libc.readv},
    {"writev", (void *)direct_writev, (void **)&libc.writev},
    {"pread", (void *)direct_pread, (void **)&libc.pread},
    {"pread64", (void *)direct_pread, (void **)&libc.pread},
    {"pwrite", (void *)direct_pwrite, (void **)&libc.pwrite},
    {"pwrite64", (void *)direct_pwrite, (void **)&libc.pwrite},
    {"recv", (void *)direct_recv, (void **)&libc.recv},
    {"recvfrom", (void *)direct_recvfrom, (void **)&libc.recvfrom},
    {"recvmsg", (void *)direct_recvmsg, (void **)&libc.recvmsg},
    {"send", (void *)direct_send, (void **)&libc.send},
    {"sendto", (void *)direct_sendto, (void **)&libc.sendto},
    {"sendmsg", (void *)direct_sendmsg, (void **)&libc.sendmsg},
    {"accept", (void *)direct_accept, (void **)&libc.accept},
    {"accept4", (void *)direct_accept4, (void **)&libc.accept4},
    {"connect", (void *)direct_connect, (void **)&libc.connect},
    {"close", (void *)direct_close, (void **)&libc.close},
    {"open", (void *)direct_open, (void **)&libc.open},
    {"open64", (void *)direct_open, (void **)&libc.open},
    {"openat", (void *)direct_openat, (void **)&libc.openat},
    {"openat64", (void *)direct_openat, (void **)&libc.openat},
    {"epoll_wait", (void *)direct_epoll_wait, (void **)&libc.epoll_wait},
    {"epoll_pwait", (void *)direct_epoll_pwait, (void **)&libc.epoll_pwait},
    {"poll", (void *)direct_poll, (void **)&libc.poll},
    {"malloc", (void *)otel_hook_keeping_malloc, (void **)&otel_hook_libc_malloc, true},
    {"free", (void *)otel_hook_keeping_free, (void **)&otel_hook_libc_free, true},
    {"posix_memalign", (void *)otel_hook_keeping_posix_memalign, (void **)&otel_hook_libc_posix_memalign, true},
    {"aligned_alloc", (void *)otel_hook_keeping_aligned_alloc, (void **)&otel_hook_libc_aligned_alloc, true},
    {"memalign", (void *)otel_hook_keeping_memalign, (void **)&otel_hook_libc_memalign, true},
};
#define DIRECT_CALL_COUNT (sizeof direct_calls / sizeof direct_calls[0])

/* How many names are routed (0: direct calls never started here). */
static unsigned started;
/* Which names are routed (glibc's function found, and no other object defines the name first). */
static bool routed[DIRECT_CALL_COUNT];

/* ---- the program's threads ---------------------------------------------------- */

/* Told once, when the direct calls end. */
static void (*direct_calls_ended)(void);

static void program_starts_threads(void) {
    if (otel_hook_program_has_threads() || atomic_exchange_explicit(&otel_hook_program_threads, true, memory_order_relaxed))
        return;
    otel_hook_kept_blocks_release(); /* on the first thread, before the new one runs; elsewhere a no-op */
    if (direct_calls_ended) direct_calls_ended();
}

static int (*real_pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static int (*real_thrd_create)(void *, int (*)(void *), void *);
static int (*real_pthread_cancel)(pthread_t);
static int (*real_timer_create)(clockid_t, struct sigevent *, timer_t *);
static int (*real_mq_notify)(int, const struct sigevent *);

static int tracking_pthread_create(pthread_t *thread, const pthread_attr_t *attributes, void *(*start)(void *), void *argument) {
    program_starts_threads();
    return real_pthread_create(thread, attributes, start, argument);
}
static int tracking_thrd_create(void *thread, int (*start)(void *), void *argument) {
    program_starts_threads();
    return real_thrd_create(thread, start, argument);
}
static int tracking_pthread_cancel(pthread_t thread) {
    program_starts_threads();
    return real_pthread_cancel(thread);
}
static int tracking_timer_create(clockid_t clock, struct sigevent *event, timer_t *timer) {
    if (event && event->sigev_notify == SIGEV_THREAD) program_starts_threads();
    return real_timer_create(clock, event, timer);
}
static int tracking_mq_notify(int queue, const struct sigevent *event) {
    if (event && event->sigev_notify == SIGEV_THREAD) program_starts_threads();
    return real_mq_notify(queue, event);
}

/* ---- the SDK's threads ------------------------------------------------------------ */

/* The kernel ids of the SDK's running threads (0: a free slot). One that
 * finds no free slot is taken for the program's: direct calls then end at the
 * next dlopen, the safe side. */
#define OWN_THREADS 64
static _Atomic pid_t own_threads[OWN_THREADS];
static pthread_key_t own_thread_key;
static pthread_once_t own_thread_key_once = PTHREAD_ONCE_INIT;

/* A thread of ours ends: its slot is freed (if still its own: a fork may
 * have freed it for another), its id may be the program's next. */
static void own_thread_ended(void *slot) {
    pid_t self = (pid_t)syscall(SYS_gettid);
    atomic_compare_exchange_strong_explicit((_Atomic pid_t *)slot, &self, 0, memory_order_acq_rel, memory_order_relaxed);
}

/* A child of fork has only the thread that forked (the SDK starts its own
 * again on demand, after the child handlers): no thread of ours. */
static void forget_own_threads(void) {
    for (size_t i = 0; i < OWN_THREADS; i++) atomic_store_explicit(&own_threads[i], 0, memory_order_relaxed);
}

static void make_own_thread_key(void) {
    pthread_key_create(&own_thread_key, own_thread_ended);
    pthread_atfork(NULL, NULL, forget_own_threads);
}

void otel_hook_sdk_thread_start(void) {
    otel_hook_suppress();
    pid_t self = (pid_t)syscall(SYS_gettid);
    pthread_once(&own_thread_key_once, make_own_thread_key);
    for (size_t i = 0; i < OWN_THREADS; i++) {
        pid_t free_slot = 0;
        if (atomic_compare_exchange_strong_explicit(&own_threads[i], &free_slot, self, memory_order_acq_rel, memory_order_relaxed)) {
            pthread_setspecific(own_thread_key, (void *)&own_threads[i]);
            return;
        }
    }
}

static bool own_thread(pid_t thread) {
    for (size_t i = 0; i < OWN_THREADS; i++)
        if (atomic_load_explicit(&own_threads[i], memory_order_acquire) == thread) return true;
    return false;
}

/* Whether a thread other than the first and the SDK's own runs now. */
static bool other_threads_running(void) {
    DIR *tasks = opendir("/proc/self/task");
    if (!tasks) return true; /* cannot tell: assume so */
    bool found = false;
    pid_t first = getpid();
    for (struct dirent *entry; !found && (entry = readdir(tasks));) {
        if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
        pid_t thread = (pid_t)atoi(entry->d_name);
        found = thread != first && !own_thread(thread);
    }
    closedir(tasks);
    return found;
}

void otel_hook_direct_calls_after_load(void) {
    /* Never started, already over, or no thread at all yet (none of the SDK's either): nothing to look for. */
    if (started && direct() && !__libc_single_threaded && other_threads_running()) program_starts_threads();
}

/* ---- the engine's side ------------------------------------------------------------ */

void *otel_hook_direct_substitute(void *function) {
    if (!function) return function;
    for (size_t i = 0; i < DIRECT_CALL_COUNT; i++) {
        if (routed[i] && *direct_calls[i].libc_function == function) return direct_calls[i].function;
    }
    return function;
}

void *otel_hook_direct_libc_function(void *function) {
    if (!function) return function;
    for (size_t i = 0; i < DIRECT_CALL_COUNT; i++) {
        if (routed[i] && direct_calls[i].function == function) return *direct_calls[i].libc_function;
    }
    return function;
}

/* glibc's `name` in `glibc`, or NULL where it has none or another object
 * defines the name first (an interposer keeps its calls). */
static void *glibc_own(void *glibc, const char *name) {
    void *own = dlsym(glibc, name);
    return own && dlsym(RTLD_DEFAULT, name) == own ? own : NULL;
}

unsigned otel_hook_direct_calls_start(bool keep_blocks, void (*ended)(void)) {
    if (started || !__libc_single_threaded) return started;
    direct_calls_ended = ended;
    void *glibc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    if (!glibc) return 0;
    static const struct {
        const char *name;
        void *replacement;
        void **original;
    } tracking[] = {
        {"pthread_create", (void *)tracking_pthread_create, (void **)&real_pthread_create},
        {"thrd_create", (void *)tracking_thrd_create, (void **)&real_thrd_create},
        {"pthread_cancel", (void *)tracking_pthread_cancel, (void **)&real_pthread_cancel},
        {"timer_create", (void *)tracking_timer_create, (void **)&real_timer_create},
        {"mq_notify", (void *)tracking_mq_notify, (void **)&real_mq_notify},
    };
    otel_hook_batch_begin(); /* one pass over the loaded objects for them all */
    for (size_t i = 0; i < sizeof tracking / sizeof tracking[0]; i++) {
        *tracking[i].original = dlsym(glibc, tracking[i].name);
        /* Without the means to see the program start threads, nothing is routed. */
        if (!*tracking[i].original || !otel_hook_wrap(tracking[i].name, tracking[i].replacement, tracking[i].original, 0)) {
            otel_hook_batch_end();
            dlclose(glibc);
            program_starts_threads();
            return 0;
        }
    }
    /* The allocation functions all of glibc's, or none: a block must go back to the allocator it came from. */
    bool allocations = keep_blocks;
    for (size_t i = 0; keep_blocks && i < DIRECT_CALL_COUNT; i++) {
        if (!direct_calls[i].allocation) continue;
        *direct_calls[i].libc_function = glibc_own(glibc, direct_calls[i].name);
        allocations = allocations && *direct_calls[i].libc_function;
    }
    allocations = allocations && otel_hook_kept_blocks_start();
    for (size_t i = 0; i < DIRECT_CALL_COUNT; i++) {
        const struct direct_call *call = &direct_calls[i];
        /* libc_function is also the hook's original, never substituted (OTEL_HOOK_UNDERNEATH). */
        if (call->allocation ? !allocations : !(*call->libc_function = glibc_own(glibc, call->name))) continue;
        if (otel_hook_wrap(call->name, call->function, call->libc_function, OTEL_HOOK_SKIP_WRAPPER_OBJECTS | OTEL_HOOK_UNDERNEATH)) {
            routed[i] = true;
            started++;
        }
    }
    otel_hook_batch_end();
    dlclose(glibc);
    otel_hook_follow_loads();
    return started;
}

#else

void *otel_hook_direct_substitute(void *function) { return function; }
void *otel_hook_direct_libc_function(void *function) { return function; }
void otel_hook_direct_calls_after_load(void) {}
void otel_hook_sdk_thread_start(void) { otel_hook_suppress(); }
unsigned otel_hook_direct_calls_start(bool keep_blocks, void (*ended)(void)) {
    (void)keep_blocks;
    (void)ended;
    return 0;
}

#endif
