/* Starts commands with popen (reading and writing) and system, and prints
 * what it got back: the output must be the same with and without
 * otel-instrument, whose versions of these start the shell themselves. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

int main(void) {
    FILE *query = popen("sqlite3 :memory: 'select 40 + 2;'", "r");
    char line[64];
    while (query && fgets(line, sizeof line, query)) printf("read: %s", line);
    int status = query ? pclose(query) : -1;
    printf("pclose: exited %d, status %d\n", WIFEXITED(status), WEXITSTATUS(status));
    fflush(stdout);
    FILE *sink = popen("cat", "w");
    if (sink) fputs("written through cat\n", sink);
    status = sink ? pclose(sink) : -1;
    printf("pclose cat: %d\n", status);
    fflush(stdout);
    status = system("sqlite3 :memory: 'select 7;'; exit 3");
    printf("system: exited %d, status %d\n", WIFEXITED(status), WEXITSTATUS(status));
    printf("system(NULL): %d\n", system(NULL) != 0);
    printf("pclose of a stream popen did not make: %d\n", pclose(stdin));
    return 0;
}
