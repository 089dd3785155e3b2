import Foundation
import XCTest

/// Direct system calls while the program has one thread (otel_hook.h,
/// direct_calls.c): every routed function returns what glibc returns and sets
/// errno as glibc does, and a program that starts or cancels a thread gets
/// glibc's cancellation points back (a thread blocked in read can be cancelled).
extension OtelInstrumentTests {
    /// Runs `program` under otel-instrument with an OTLP metric exporter (its
    /// thread makes the process multi-threaded for glibc) and debug diagnostics.
    func runWithSDKThread(_ program: String, _ arguments: [String] = [],
                          environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        try run(["--metrics_exporter", "otlp", "--exporter_otlp_endpoint", "http://127.0.0.1:9", "--traces_exporter", "none", program] + arguments,
                environment: environment.merging(["OTEL_LOG_LEVEL": "debug"]) { $1 })
    }

    func testEveryDirectCallReturnsAndFailsAsGlibcDoes() throws {
        let program = scratch.appendingPathComponent("calls").path
        try compileC("calls", """
            #define _GNU_SOURCE
            #include <errno.h>
            #include <fcntl.h>
            #include <netinet/in.h>
            #include <poll.h>
            #include <stdio.h>
            #include <string.h>
            #include <sys/epoll.h>
            #include <sys/socket.h>
            #include <sys/stat.h>
            #include <sys/uio.h>
            #include <unistd.h>
            /* Each call's result, errno and what it read into `buffer` (zeroed first); errno is set
             * to 77 first, so a success that touched it shows. */
            static char buffer[64];
            #define SHOW(call) do { \\
                memset(buffer, 0, sizeof buffer); \\
                errno = 77; \\
                long r = (long)(call); \\
                printf("%-60s -> %ld errno %d read \\"%.16s\\"\\n", #call, r, errno, buffer); \\
            } while (0)
            int main(int argc, char **argv) {
                (void)argc;
                alarm(20);
                char path[512];
                snprintf(path, sizeof path, "%s/file", argv[1]);
                int pipes[2];
                pipe(pipes);
                SHOW(write(pipes[1], "abcdef", 6));
                SHOW(read(pipes[0], buffer, 3));
                struct iovec out[2] = {{"gh", 2}, {"ij", 2}}, in[2] = {{buffer, 2}, {buffer + 2, 8}};
                SHOW(writev(pipes[1], out, 2));
                SHOW(readv(pipes[0], in, 2));
                SHOW(read(-1, buffer, 1));
                SHOW(write(-1, buffer, 1));
                SHOW(readv(-1, in, 1));
                SHOW(writev(-1, out, 1));
                int file = open(path, O_CREAT | O_RDWR | O_EXCL, 0640);
                struct stat status;
                fstat(file, &status);
                printf("open O_CREAT mode %o\\n", status.st_mode & 0777);
                SHOW(pwrite(file, "0123456789", 10, 5));
                SHOW(pread(file, buffer, 4, 7));
                SHOW(pread64(file, buffer, 4, 0));
                SHOW(pwrite64(file, "x", 1, 0));
                SHOW(pread(-1, buffer, 1, 0));
                SHOW(close(file));
                SHOW(open(path, O_CREAT | O_EXCL | O_RDWR, 0600));
                SHOW(open64("/nonexistent/file", O_RDONLY));
                SHOW(openat(AT_FDCWD, "/nonexistent/file", O_RDONLY));
                SHOW(openat64(-1, "relative", O_RDONLY));
                int directory = open(argv[1], O_RDONLY | O_DIRECTORY);
                int made = openat(directory, "made", O_CREAT | O_WRONLY, 0604);
                fstat(made, &status);
                printf("openat O_CREAT mode %o\\n", status.st_mode & 0777);
                close(made);
                SHOW(close(-1));
                SHOW(close(12345));
                int pair[2];
                socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
                SHOW(send(pair[0], "hello", 5, 0));
                SHOW(recv(pair[1], buffer, 2, MSG_PEEK));
                SHOW(recv(pair[1], buffer, 5, 0));
                SHOW(recv(pair[1], buffer, 5, MSG_DONTWAIT));
                SHOW(sendto(pair[0], "to", 2, 0, NULL, 0));
                SHOW(recvfrom(pair[1], buffer, 8, 0, NULL, NULL));
                struct msghdr message = {.msg_iov = out, .msg_iovlen = 2};
                SHOW(sendmsg(pair[0], &message, 0));
                struct msghdr received = {.msg_iov = in, .msg_iovlen = 2};
                SHOW(recvmsg(pair[1], &received, 0));
                SHOW(send(-1, "x", 1, 0));
                SHOW(recvmsg(-1, &received, 0));
                int epoll = epoll_create1(0);
                struct epoll_event event = {.events = EPOLLIN}, events[4];
                epoll_ctl(epoll, EPOLL_CTL_ADD, pair[1], &event);
                SHOW(epoll_wait(epoll, events, 4, 0));
                send(pair[0], "z", 1, 0);
                SHOW(epoll_wait(epoll, events, 4, 1000));
                SHOW(epoll_pwait(epoll, events, 4, 0, NULL));
                SHOW(epoll_wait(-1, events, 4, 0));
                struct pollfd watched = {.fd = pair[1], .events = POLLIN};
                SHOW(poll(&watched, 1, 0));
                printf("poll revents %d\\n", watched.revents);
                SHOW(poll(&watched, 1, -2) < 0 ? -1 : 0);
                int listener = socket(AF_INET, SOCK_STREAM, 0);
                struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
                socklen_t length = sizeof address;
                bind(listener, (struct sockaddr *)&address, sizeof address);
                listen(listener, 4);
                getsockname(listener, (struct sockaddr *)&address, &length);
                int client = socket(AF_INET, SOCK_STREAM, 0);
                SHOW(connect(client, (struct sockaddr *)&address, sizeof address));
                int accepted = accept(listener, NULL, NULL);
                printf("accept %s\\n", accepted >= 0 ? "ok" : strerror(errno));
                int second = socket(AF_INET, SOCK_STREAM, 0);
                connect(second, (struct sockaddr *)&address, sizeof address);
                int accepted4 = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
                printf("accept4 cloexec %d\\n", accepted4 >= 0 ? (fcntl(accepted4, F_GETFD) & FD_CLOEXEC) : -1);
                SHOW(accept(-1, NULL, NULL));
                SHOW(accept4(listener, NULL, NULL, -1));
                SHOW(connect(-1, (struct sockaddr *)&address, sizeof address));
                return 0;
            }
            """, ["-o", program])
        try FileManager.default.createDirectory(atPath: scratch.path + "/plain", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: scratch.path + "/instrumented", withIntermediateDirectories: true)
        let expected = try run([program, scratch.path + "/plain"], instrumented: false)
        let instrumented = try runWithSDKThread(program, [scratch.path + "/instrumented"])
        XCTAssertEqual(instrumented.status, 0, instrumented.stderr)
        XCTAssertEqual(instrumented.stdout, expected.stdout)
        XCTAssertTrue(expected.stdout.contains("open O_CREAT mode 640") && expected.stdout.contains("openat O_CREAT mode 604"), expected.stdout)
        XCTAssertTrue(instrumented.stderr.contains("direct system calls while the program has one thread (30 functions)"), instrumented.stderr)
        XCTAssertFalse(instrumented.stderr.contains("starts or cancels a thread"), instrumented.stderr)
    }

    /// A thread blocked in read is cancelled: its read goes through glibc,
    /// which makes it a cancellation point, once the program has started it.
    func testAThreadTheProgramStartsCanBeCancelledInRead() throws {
        let program = scratch.appendingPathComponent("cancel").path
        try compileC("cancel", """
            #include <pthread.h>
            #include <stdio.h>
            #include <unistd.h>
            static int pipes[2];
            static void *reader(void *argument) {
                (void)argument;
                char byte;
                read(pipes[0], &byte, 1); /* nothing is ever written: only cancellation ends it */
                return NULL;
            }
            int main(void) {
                alarm(20);
                pipe(pipes);
                pthread_t thread;
                pthread_create(&thread, NULL, reader, NULL);
                usleep(200000);
                pthread_cancel(thread);
                void *result;
                pthread_join(thread, &result);
                printf("%s\\n", result == PTHREAD_CANCELED ? "cancelled" : "returned");
                return 0;
            }
            """, ["-o", program, "-lpthread"])
        let result = try runWithSDKThread(program)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "cancelled\n")
        XCTAssertTrue(result.stderr.contains("the program starts or cancels a thread: its blocking calls and allocations go through glibc from now on"), result.stderr)
    }

    /// A single-threaded program cancelling itself: glibc then acts on the next
    /// cancellation point, and so do the routed functions.
    func testAProgramCancellingItselfStopsAtItsNextRead() throws {
        let program = scratch.appendingPathComponent("self").path
        try compileC("self", """
            #include <pthread.h>
            #include <stdio.h>
            #include <unistd.h>
            int main(void) {
                alarm(20);
                int pipes[2];
                pipe(pipes);
                write(pipes[1], "x", 1);
                printf("before\\n");
                fflush(stdout);
                pthread_cancel(pthread_self());
                char byte;
                read(pipes[0], &byte, 1);
                printf("after the read\\n");
                return 3;
            }
            """, ["-o", program, "-lpthread"])
        let plain = try run([program], instrumented: false)
        XCTAssertEqual(plain.stdout, "before\n")
        let instrumented = try runWithSDKThread(program)
        XCTAssertEqual(instrumented.stdout, plain.stdout)
        XCTAssertEqual(instrumented.status, plain.status)
    }

    /// A library whose constructor starts a thread, loaded with dlopen (its
    /// own call is not hooked yet): the thread is seen after the load, also in
    /// a program whose name (which its threads take) starts like the SDK's threads'.
    func testAThreadStartedWhileALibraryLoadsIsSeen() throws {
        let directory = scratch.path
        try compileC("starter", """
            #include <pthread.h>
            #include <unistd.h>
            int starter_pipe[2];
            pthread_t starter_thread;
            static void *reader(void *argument) {
                (void)argument;
                usleep(100000); /* past the dlopen: this library's read is then routed like the others */
                char byte;
                read(starter_pipe[0], &byte, 1);
                return NULL;
            }
            __attribute__((constructor)) static void start(void) {
                pipe(starter_pipe);
                pthread_create(&starter_thread, NULL, reader, NULL);
            }
            """, ["-shared", "-fPIC", "-o", directory + "/libstarter.so", "-lpthread"])
        let program = scratch.appendingPathComponent("loader").path
        try compileC("loader", """
            #include <dlfcn.h>
            #include <pthread.h>
            #include <stdio.h>
            #include <unistd.h>
            int main(int argc, char **argv) {
                (void)argc;
                alarm(20);
                void *library = dlopen(argv[1], RTLD_NOW);
                if (!library) { printf("%s\\n", dlerror()); return 1; }
                pthread_t *thread = dlsym(library, "starter_thread");
                usleep(300000);
                fprintf(stderr, "cancelling\\n");
                pthread_cancel(*thread);
                void *result;
                pthread_join(*thread, &result);
                printf("%s\\n", result == PTHREAD_CANCELED ? "cancelled" : "returned");
                return 0;
            }
            """, ["-o", program, "-ldl", "-lpthread"])
        let named = scratch.appendingPathComponent("otel-loader").path
        try FileManager.default.copyItem(atPath: program, toPath: named)
        for program in [program, named] {
            let result = try runWithSDKThread(program, [directory + "/libstarter.so"])
            XCTAssertEqual(result.stdout, "cancelled\n", result.stderr)
            // Seen at the load, before the program's pthread_cancel.
            let lines = result.stderr.split(separator: "\n")
            let seen = try XCTUnwrap(lines.firstIndex { $0.contains("starts or cancels a thread") }, "\(program): \(result.stderr)")
            XCTAssertLessThan(seen, try XCTUnwrap(lines.firstIndex(of: "cancelling"), result.stderr))
        }
    }

    /// A third party's plugin wrapping a routed name gets the direct function
    /// as its original (so its wrapper's calls skip the bookkeeping too), keeps
    /// its slot, and sees every call; with direct calls off, glibc's function.
    func testAPluginWrappingARoutedNameCallsTheDirectFunction() throws {
        let plugins = try examplePluginDirectory()
        let source = scratch.appendingPathComponent("readwatch.c")
        try """
            #define _GNU_SOURCE
            #include <dlfcn.h>
            #include <stdio.h>
            #include <unistd.h>
            #include <otel_plugin.h>
            OTEL_PLUGIN_DECLARE_ABI();
            static ssize_t (*original)(int, void *, size_t);
            static void *hook;
            static unsigned calls;
            static ssize_t watched_read(int fd, void *buffer, size_t count) { calls++; return original(fd, buffer, count); }
            static int instrument(void *state, const otel_host_api *host) {
                (void)state;
                hook = host->hook_wrap("read", (void *)watched_read, (void **)&original, 0);
                void *glibc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
                fprintf(stderr, "readwatch: original is %s\\n", original == dlsym(glibc, "read") ? "glibc's read" : "another read");
                return hook ? 0 : 1;
            }
            __attribute__((destructor)) static void report(void) { fprintf(stderr, "readwatch: %u reads\\n", calls); }
            const otel_plugin_descriptor *otel_readwatch_entry(const otel_host_api *host) {
                (void)host;
                static otel_plugin_descriptor d = { OTEL_PLUGIN_DESCRIPTOR_HEADER, .name = "readwatch", .instrument = instrument };
                return &d;
            }
            """.write(to: source, atomically: false, encoding: .utf8)
        let built = try runCommand("/usr/bin/env", ["cc", "-shared", "-fPIC", "-I", try PluginLoaderTests.installedHeaders().path,
                                                   "-o", plugins + "/libreadwatch.so", source.path, "-ldl"])
        XCTAssertEqual(built.status, 0, built.output)
        try "[otel_instrumentor]\nreadwatch = libreadwatch.so:otel_readwatch_entry\n"
            .write(toFile: plugins + "/readwatch.ini", atomically: false, encoding: .utf8)
        let program = scratch.appendingPathComponent("reader").path
        try compileC("reader", """
            #include <stdio.h>
            #include <unistd.h>
            int main(void) {
                int pipes[2];
                pipe(pipes);
                write(pipes[1], "abc", 3);
                char bytes[4] = {0};
                for (int i = 0; i < 3; i++) read(pipes[0], bytes + i, 1);
                printf("%s\\n", bytes);
                return 0;
            }
            """, ["-o", program])
        for (direct, original) in [("true", "another read"), ("false", "glibc's read")] {
            let result = try run(["--metrics_exporter", "otlp", "--exporter_otlp_endpoint", "http://127.0.0.1:9", "--traces_exporter", "none", program],
                                 environment: ["OTEL_NATIVE_PLUGINS_PATH": plugins, "OTEL_NATIVE_DIRECT_SYSCALLS": direct])
            XCTAssertEqual(result.stdout, "abc\n", result.stderr)
            XCTAssertTrue(result.stderr.contains("readwatch: original is \(original)\n"), "direct \(direct): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("readwatch: 3 reads\n"), "direct \(direct): \(result.stderr)")
        }
    }

    func testDirectCallsCanBeTurnedOff() throws {
        let result = try run(["--traces_exporter", "none", "/bin/true"], environment: ["OTEL_LOG_LEVEL": "debug", "OTEL_NATIVE_DIRECT_SYSCALLS": "false"])
        XCTAssertEqual(result.status, 0)
        XCTAssertFalse(result.stderr.contains("direct system calls"), result.stderr)
    }
}
