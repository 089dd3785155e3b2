/* An HTTP/1.1 exchange with itself over loopback, checking errno around
 * every call the HTTP server instrumentation wraps: a call that succeeds
 * leaves errno as the program set it, one that fails sets what the kernel
 * said. Prints one line per check; the test compares the output with and
 * without otel-instrument (tests: "never break the host program"). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define SENTINEL EDOM

static void check(const char *call, long result, int expected_errno) {
    printf("%s: %s, errno %s\n", call, result >= 0 ? "ok" : "failed",
           errno == expected_errno ? "as expected" : strerrorname_np(errno));
}

int main(void) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    if (bind(listener, (struct sockaddr *)&address, length) || listen(listener, 1) ||
        getsockname(listener, (struct sockaddr *)&address, &length))
        return 1;
    int client = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(client, (struct sockaddr *)&address, length)) return 1;

    errno = SENTINEL;
    int server = accept(listener, NULL, NULL);
    check("accept", server, SENTINEL);

    static const char request[] = "GET /errno?x=1 HTTP/1.1\r\nHost: example.test\r\nUser-Agent: errno-check\r\n\r\n";
    if (write(client, request, sizeof request - 1) != (ssize_t)(sizeof request - 1)) return 1;
    char buffer[512];
    errno = SENTINEL;
    check("recv", recv(server, buffer, sizeof buffer, 0), SENTINEL);

    errno = SENTINEL;
    fcntl(server, F_SETFL, O_NONBLOCK);
    check("read with nothing to read", read(server, buffer, sizeof buffer), EAGAIN);

    char body_path[] = "/tmp/errno-server-XXXXXX";
    int body = mkstemp(body_path);
    unlink(body_path);
    if (body < 0 || write(body, "hello\n", 6) != 6) return 1;
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\n";
    struct iovec vectors[2] = {{(void *)head, 20}, {(void *)(head + 20), sizeof head - 21}};
    errno = SENTINEL;
    check("writev", writev(server, vectors, 2), SENTINEL);
    off_t offset = 0;
    errno = SENTINEL;
    check("sendfile", sendfile(server, body, &offset, 6), SENTINEL);

    errno = SENTINEL;
    check("send", send(server, "", 0, 0), SENTINEL);
    errno = SENTINEL;
    check("close", close(server), SENTINEL);
    errno = SENTINEL;
    check("write after close", write(server, "x", 1), EBADF);

    ssize_t received = recv(client, buffer, sizeof buffer - 1, MSG_WAITALL);
    buffer[received > 0 ? received : 0] = '\0';
    printf("client got %zd bytes, ends with body: %s", received, strstr(buffer, "\r\n\r\n") ? strstr(buffer, "\r\n\r\n") + 4 : "none\n");
    return 0;
}
