/* N transfers on one libcurl easy handle (keep-alive) against a local server;
 * prints the mean time per transfer, best of 5 runs (docs/performance.md). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef void CURL;
CURL *curl_easy_init(void);
int curl_easy_setopt(CURL *, int, ...);
int curl_easy_perform(CURL *);
void curl_easy_cleanup(CURL *);

static size_t discard(char *data, size_t size, size_t count, void *user) {
    (void)data;
    (void)user;
    return size * count;
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    int transfers = atoi(argv[2]);
    CURL *curl = curl_easy_init();
    curl_easy_setopt(curl, 10002 /* URL */, argv[1]);
    curl_easy_setopt(curl, 20011 /* WRITEFUNCTION */, discard);
    double best = 1e30;
    for (int run = 0; run < 5; run++) {
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (int i = 0; i < transfers; i++) {
            if (curl_easy_perform(curl) != 0) return 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &end);
        double each = ((double)(end.tv_sec - start.tv_sec) * 1e9 + (double)(end.tv_nsec - start.tv_nsec)) / transfers / 1000;
        if (each < best) best = each;
    }
    printf("%.2f µs per transfer\n", best);
    curl_easy_cleanup(curl);
    return 0;
}
