/* Forks N children that leave at once by _exit (a forked worker's shortest
 * life), then starts N /bin/true by posix_spawn; prints microseconds per
 * child for each (docs/performance.md). */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    double start = now();
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0) _exit(0);
        waitpid(pid, NULL, 0);
    }
    double forked = (now() - start) / n;
    char *args[] = {"true", NULL};
    start = now();
    for (int i = 0; i < n / 10; i++) {
        pid_t pid;
        if (posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ) == 0) waitpid(pid, NULL, 0);
    }
    double spawned = (now() - start) / (n / 10);
    printf("fork + _exit: %.1f us per child; posix_spawn of /bin/true: %.1f us per child\n", forked, spawned);
    return 0;
}
