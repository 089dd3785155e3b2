/* Starts sqlite3 three times, each in a forked child that replaces itself
 * with execl, execlp and execle (the last with an environment of its own
 * that lacks LD_PRELOAD and every OTEL_ setting), and waits for each.
 * Exit status: 0 when every child exited 0. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int run(int variant) {
    pid_t pid = fork();
    if (pid == 0) {
        char *const bare[] = {"PATH=/usr/bin:/bin", NULL};
        if (variant == 0) execl("/usr/bin/sqlite3", "sqlite3", ":memory:", "select 'execl';", (char *)NULL);
        if (variant == 1) execlp("sqlite3", "sqlite3", ":memory:", "select 'execlp';", (char *)NULL);
        if (variant == 2) execle("/usr/bin/sqlite3", "sqlite3", ":memory:", "select 'execle';", (char *)NULL, bare);
        _exit(127);
    }
    int status;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int main(void) {
    int failed = 0;
    for (int variant = 0; variant < 3; variant++) failed |= run(variant);
    return failed;
}
