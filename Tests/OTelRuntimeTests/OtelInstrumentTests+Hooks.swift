import Foundation
import XCTest

/// The hooking engine, driven by a plugin through the host table, on a real
/// program: calls through the GOT (full RELRO), calls from a library the
/// program dlopens later, calls through a pointer from dlsym, and unwrap in
/// the middle of the run.
extension OtelInstrumentTests {
    /// Compiles `source` (saved as `name`.c in the scratch folder) with cc and `arguments`.
    func compileC(_ name: String, _ source: String, _ arguments: [String]) throws {
        let file = scratch.appendingPathComponent(name + ".c")
        try source.write(to: file, atomically: false, encoding: .utf8)
        let result = try runCommand("/usr/bin/env", ["cc", file.path] + arguments)
        XCTAssertEqual(result.status, 0, result.output)
    }

    func testAPluginWrapsAFunctionEverywhereAndUnwrapsIt() throws {
        let plugins = try examplePluginDirectory()
        let directory = scratch.path
        try compileC("target", "int target_add(int a, int b) { return a + b; }\n",
                    ["-shared", "-fPIC", "-Wl,-soname,libtarget.so", "-o", directory + "/libtarget.so"])
        try compileC("caller", "int target_add(int, int);\nint caller_add(int a, int b) { return target_add(a, b); }\n",
                    // SysV hash table: the engine finds the import through DT_HASH here, through DT_GNU_HASH elsewhere.
                    ["-shared", "-fPIC", "-Wl,--hash-style=sysv", "-o", directory + "/libcaller.so", "-L", directory, "-ltarget"])
        try compileC("program", """
            #include <dlfcn.h>
            #include <stdio.h>
            int target_add(int, int);
            int main(int argc, char **argv) {
                (void)argc;
                printf("%d\\n", target_add(2, 3));
                void *caller = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
                if (!caller) { printf("dlopen: %s\\n", dlerror()); return 1; }
                int (*caller_add)(int, int) = (int (*)(int, int))dlsym(caller, "caller_add");
                printf("%d\\n", caller_add(4, 5));
                int (*looked_up)(int, int) = (int (*)(int, int))dlsym(RTLD_DEFAULT, "target_add");
                printf("%d\\n", looked_up(1, 1));
                printf("%d\\n", target_add(2, 3));
                printf("%d\\n", caller_add(4, 5));
                return 0;
            }
            """, ["-o", directory + "/program", "-Wl,-z,relro,-z,now", "-L", directory, "-ltarget", "-Wl,-rpath," + directory, "-ldl"])
        try compileC("wrapper_plugin", """
            #include <otel_plugin.h>
            OTEL_PLUGIN_DECLARE_ABI();
            static const otel_host_api *host;
            static void *hook;
            static int (*original)(int, int);
            static int calls;
            static int wrapped_add(int a, int b) {
                if (!host->hook_enter()) { host->hook_exit(); return original(a, b); }
                otel_span span;
                host->span_start(NULL, "target_add", OTEL_SPAN_KIND_INTERNAL, NULL, &span);
                host->span_set_int(&span, "target.a", a);
                int result = original(a, b) + 1000;
                host->span_end(&span);
                host->hook_exit();
                if (++calls == 3) host->hook_unwrap(hook);
                return result;
            }
            static int instrument(void *state, const otel_host_api *the_host) {
                (void)state;
                host = the_host;
                hook = host->hook_wrap("target_add", (void *)wrapped_add, (void **)&original, 0);
                return hook ? 0 : 1;
            }
            const otel_plugin_descriptor *otel_wrapper_entry(const otel_host_api *h) {
                (void)h;
                static otel_plugin_descriptor d = {OTEL_PLUGIN_DESCRIPTOR_HEADER, .name = "wrapper", .instrument = instrument};
                return &d;
            }
            """, ["-shared", "-fPIC", "-I", try PluginLoaderTests.installedHeaders().path, "-o", plugins + "/libwrapper_plugin.so"])
        try "[distribution]\nname = wrapper\n[otel_instrumentor]\nwrapper = libwrapper_plugin.so:otel_wrapper_entry\n"
            .write(toFile: plugins + "/wrapper.ini", atomically: false, encoding: .utf8)

        let program = directory + "/program"
        let plain = try run([program, directory + "/libcaller.so"], instrumented: false)
        XCTAssertEqual(plain.stdout, "5\n9\n2\n5\n9\n")
        let output = directory + "/spans.json"
        let result = try run(["--plugins_path", plugins, "--disabled_instrumentations", "example_c", "--traces_exporter", "console",
                              "--console_output", output, program, directory + "/libcaller.so"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        // Wrapped in the program (full RELRO), in the library it dlopened later and through
        // a pointer from dlsym; then unwrapped.
        XCTAssertEqual(result.stdout, "1005\n1009\n1002\n5\n9\n")
        let spans = try String(contentsOfFile: output, encoding: .utf8)
        XCTAssertEqual(spans.components(separatedBy: "\"name\": \"target_add\"").count - 1, 3, spans)
    }
}

extension OtelInstrumentTests {
    /// Wrapping and unwrapping while four threads call the function: every call
    /// returns the right value and nothing crashes.
    func testPatchingWhileOtherThreadsCall() throws {
        let plugins = try examplePluginDirectory()
        let directory = scratch.path
        try compileC("target", "int target_add(int a, int b) { return a + b; }\n",
                    ["-shared", "-fPIC", "-Wl,-soname,libtarget.so", "-o", directory + "/libtarget.so"])
        try compileC("threads", """
            #include <pthread.h>
            #include <stdio.h>
            #include <time.h>
            int target_add(int, int);
            static volatile int wrong;
            static void *work(void *arg) {
                (void)arg;
                struct timespec start, now;
                clock_gettime(CLOCK_MONOTONIC, &start);
                long calls = 0;
                do {
                    for (int i = 0; i < 10000; i++, calls++) if (target_add(i, 1) != i + 1) wrong++;
                    clock_gettime(CLOCK_MONOTONIC, &now);
                } while (now.tv_sec - start.tv_sec < 1);
                return (void *)calls;
            }
            int main(void) {
                pthread_t threads[4];
                for (int i = 0; i < 4; i++) pthread_create(&threads[i], NULL, work, NULL);
                long total = 0;
                for (int i = 0; i < 4; i++) { void *calls; pthread_join(threads[i], &calls); total += (long)calls; }
                printf("%s\\n", wrong == 0 && total > 0 ? "ok" : "wrong");
                return 0;
            }
            """, ["-o", directory + "/threads", "-Wl,-z,relro,-z,now", "-L", directory, "-ltarget", "-Wl,-rpath," + directory, "-pthread"])
        try compileC("toggler", """
            #include <otel_plugin.h>
            #include <pthread.h>
            #include <time.h>
            OTEL_PLUGIN_DECLARE_ABI();
            static const otel_host_api *host;
            static int (*original)(int, int);
            static int wrapped(int a, int b) { return original(a, b); }
            static void *toggle(void *arg) {
                (void)arg;
                struct timespec pause = {0, 1000000};
                for (int i = 0; i < 400; i++) {
                    void *hook = host->hook_wrap("target_add", (void *)wrapped, (void **)&original, 0);
                    nanosleep(&pause, NULL);
                    host->hook_unwrap(hook);
                }
                return NULL;
            }
            static int instrument(void *state, const otel_host_api *h) {
                (void)state;
                host = h;
                pthread_t thread;
                return pthread_create(&thread, NULL, toggle, NULL) == 0 && pthread_detach(thread) == 0 ? 0 : 1;
            }
            const otel_plugin_descriptor *otel_toggler_entry(const otel_host_api *h) {
                (void)h;
                static otel_plugin_descriptor d = {OTEL_PLUGIN_DESCRIPTOR_HEADER, .name = "toggler", .instrument = instrument};
                return &d;
            }
            """, ["-shared", "-fPIC", "-pthread", "-I", try PluginLoaderTests.installedHeaders().path, "-o", plugins + "/libtoggler.so"])
        try "[distribution]\nname = toggler\n[otel_instrumentor]\ntoggler = libtoggler.so:otel_toggler_entry\n"
            .write(toFile: plugins + "/toggler.ini", atomically: false, encoding: .utf8)
        let result = try run(["--plugins_path", plugins, "--disabled_instrumentations", "example_c", "--traces_exporter", "none",
                              directory + "/threads"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "ok\n")
        XCTAssertEqual(result.stderr, "")
    }
}

extension OtelInstrumentTests {
    /// dlmopen: a library loaded into the program's own namespace is patched as it
    /// loads; one loaded into a new namespace keeps its own copy of the function,
    /// unwrapped (a wrapper there would call the first namespace's copy).
    func testDlmopenPatchesTheBaseNamespaceOnly() throws {
        let plugins = try examplePluginDirectory()
        let directory = scratch.path
        try compileC("target", "int target_add(int a, int b) { return a + b; }\n",
                    ["-shared", "-fPIC", "-Wl,-soname,libtarget.so", "-o", directory + "/libtarget.so"])
        try compileC("caller", "int target_add(int, int);\nint caller_add(int a, int b) { return target_add(a, b); }\n",
                    ["-shared", "-fPIC", "-o", directory + "/libcaller.so", "-L", directory, "-ltarget", "-Wl,-rpath," + directory])
        try compileC("program", """
            #define _GNU_SOURCE
            #include <dlfcn.h>
            #include <stdio.h>
            int target_add(int, int);
            typedef int (*add_function)(int, int);
            static add_function load(Lmid_t namespace, const char *path) {
                void *handle = dlmopen(namespace, path, RTLD_NOW);
                if (!handle) { printf("dlmopen: %s\\n", dlerror()); return NULL; }
                return (add_function)dlsym(handle, "caller_add");
            }
            int main(int argc, char **argv) {
                (void)argc;
                printf("%d\\n", target_add(2, 3));
                add_function other = load(LM_ID_NEWLM, argv[1]);
                if (!other) return 1;
                printf("%d\\n", other(4, 5));
                add_function base = load(LM_ID_BASE, argv[1]);
                if (!base) return 1;
                printf("%d\\n", base(6, 7));
                dlopen("libm.so.6", RTLD_NOW); /* another load: the new namespace stays untouched */
                printf("%d\\n", other(4, 5));
                return 0;
            }
            """, ["-o", directory + "/program", "-Wl,-z,relro,-z,now", "-L", directory, "-ltarget", "-Wl,-rpath," + directory, "-ldl"])
        try addAdderPlugin(to: plugins)

        let program = directory + "/program"
        let plain = try run([program, directory + "/libcaller.so"], instrumented: false)
        XCTAssertEqual(plain.stdout, "5\n9\n13\n9\n")
        let result = try run(["--plugins_path", plugins, "--disabled_instrumentations", "example_c", "--traces_exporter", "none",
                              program, directory + "/libcaller.so"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        XCTAssertEqual(result.stdout, "1005\n9\n1013\n9\n")
    }
}

extension OtelInstrumentTests {
    /// Writes the "adder" plugin into `plugins`: it wraps target_add(a, b) to return a + b + 1000.
    func addAdderPlugin(to plugins: String) throws {
        try compileC("adder_plugin", """
            #include <otel_plugin.h>
            OTEL_PLUGIN_DECLARE_ABI();
            static int (*original)(int, int);
            static int wrapped_add(int a, int b) { return original(a, b) + 1000; }
            static int instrument(void *state, const otel_host_api *host) {
                (void)state;
                return host->hook_wrap("target_add", (void *)wrapped_add, (void **)&original, 0) ? 0 : 1;
            }
            const otel_plugin_descriptor *otel_adder_entry(const otel_host_api *h) {
                (void)h;
                static otel_plugin_descriptor d = {OTEL_PLUGIN_DESCRIPTOR_HEADER, .name = "adder", .instrument = instrument};
                return &d;
            }
            """, ["-shared", "-fPIC", "-I", try PluginLoaderTests.installedHeaders().path, "-o", plugins + "/libadder_plugin.so"])
        try "[distribution]\nname = adder\n[otel_instrumentor]\nadder = libadder_plugin.so:otel_adder_entry\n"
            .write(toFile: plugins + "/adder.ini", atomically: false, encoding: .utf8)
    }

    /// Symbol versions: an object importing target_add@VER_1 (an old binary) binds to
    /// another function than the default target_add@@VER_2 that the wrapper calls, so
    /// its calls are left alone; imports of the default version are wrapped.
    func testAnImportOfAnotherSymbolVersionIsLeftAlone() throws {
        let plugins = try examplePluginDirectory()
        let directory = scratch.path
        try "VER_1 { global: target_add; local: *; };\nVER_2 { global: target_add; } VER_1;\n"
            .write(toFile: directory + "/versions.map", atomically: false, encoding: .utf8)
        try compileC("target", """
            int target_add_v1(int a, int b) { return a + b + 100; }
            int target_add_v2(int a, int b) { return a + b; }
            __asm__(".symver target_add_v1,target_add@VER_1");
            __asm__(".symver target_add_v2,target_add@@VER_2");
            """, ["-shared", "-fPIC", "-Wl,-soname,libtarget.so", "-Wl,--version-script=" + directory + "/versions.map",
                  "-o", directory + "/libtarget.so"])
        try compileC("old", """
            __asm__(".symver target_add,target_add@VER_1");
            int target_add(int, int);
            int old_add(int a, int b) { return target_add(a, b); }
            """, ["-shared", "-fPIC", "-o", directory + "/libold.so", "-L", directory, "-ltarget"])
        try compileC("program", """
            #include <stdio.h>
            int target_add(int, int);
            int old_add(int, int);
            int main(void) {
                printf("%d %d\\n", target_add(2, 3), old_add(2, 3));
                return 0;
            }
            """, ["-o", directory + "/program", "-Wl,-z,relro,-z,now", "-L", directory, "-ltarget", "-lold", "-Wl,-rpath," + directory])
        try addAdderPlugin(to: plugins)

        let program = directory + "/program"
        XCTAssertEqual(try run([program], instrumented: false).stdout, "5 105\n")
        let result = try run(["--plugins_path", plugins, "--disabled_instrumentations", "example_c", "--traces_exporter", "none", program])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        XCTAssertEqual(result.stdout, "1005 105\n")
    }
}
