import Foundation
import XCTest

/// Freed blocks kept for the program's next allocations while it has one
/// thread (otel_hook.h, kept_blocks.c), seen from a program through glibc's
/// own count of the bytes in use (mallinfo2): a block glibc takes back lowers
/// it, a kept one does not, nor does an allocation served from the kept blocks.
extension OtelInstrumentTests {
    /// Frees a 4 KiB block (from malloc, or posix_memalign with 64-byte
    /// alignment) and a 100 KiB one, and asks for one of about its size,
    /// saying for each whether glibc's count of bytes in use moved ("glibc")
    /// or not ("kept"); then the same after starting and joining a thread.
    private static let roundTripProgram = """
        #include <malloc.h>
        #include <pthread.h>
        #include <stdio.h>
        #include <stdlib.h>
        static void *nothing(void *argument) { return argument; }
        static const char *by(size_t before, size_t after) { return before == after ? "kept" : "glibc"; }
        static void round_trips(const char *when) {
            unsigned char *block = malloc(4096);
            size_t in_use = mallinfo2().uordblks;
            free(block);
            size_t freed = mallinfo2().uordblks;
            void *again = malloc(4000);
            size_t taken = mallinfo2().uordblks;
            printf("%s, malloc: freed %s, taken %s\\n", when, by(in_use, freed), by(freed, taken));
            free(again);
            void *aligned;
            posix_memalign(&aligned, 64, 4096);
            in_use = mallinfo2().uordblks;
            free(aligned);
            freed = mallinfo2().uordblks;
            posix_memalign(&again, 64, 4090);
            taken = mallinfo2().uordblks;
            printf("%s, posix_memalign: freed %s, taken %s\\n", when, by(in_use, freed), by(freed, taken));
            free(again);
            unsigned char *large = malloc(100 * 1024); /* above the largest kept (64 KiB) */
            void *guard = malloc(64);
            in_use = mallinfo2().uordblks;
            free(large);
            freed = mallinfo2().uordblks;
            again = malloc(100 * 1024);
            taken = mallinfo2().uordblks;
            printf("%s, 100 KiB: freed %s, taken %s\\n", when, by(in_use, freed), by(freed, taken));
            free(again);
            free(guard);
        }
        int main(void) {
            round_trips("one thread");
            pthread_t thread;
            pthread_create(&thread, NULL, nothing, NULL);
            pthread_join(thread, NULL);
            round_trips("after a thread");
            return 0;
        }
        """

    /// What the round-trip program prints when its 4 KiB blocks, while it has
    /// one thread, are `oneThread` ("kept" or "glibc"); everything else is glibc's.
    private static func roundTrips(oneThread: String) -> String {
        """
        one thread, malloc: freed \(oneThread), taken \(oneThread)
        one thread, posix_memalign: freed \(oneThread), taken \(oneThread)
        one thread, 100 KiB: freed glibc, taken glibc
        after a thread, malloc: freed glibc, taken glibc
        after a thread, posix_memalign: freed glibc, taken glibc
        after a thread, 100 KiB: freed glibc, taken glibc

        """
    }

    func testAFreedLargeBlockIsKeptForTheNextAllocationUntilTheProgramStartsAThread() throws {
        let program = scratch.appendingPathComponent("round_trips").path
        try compileC("round_trips", Self.roundTripProgram, ["-o", program, "-lpthread"])
        let plain = try run([program], instrumented: false)
        XCTAssertEqual(plain.stdout, Self.roundTrips(oneThread: "glibc"))
        let instrumented = try runWithSDKThread(program)
        XCTAssertEqual(instrumented.status, 0, instrumented.stderr)
        XCTAssertEqual(instrumented.stdout, Self.roundTrips(oneThread: "kept"))
        XCTAssertTrue(instrumented.stderr.contains("direct system calls while the program has one thread (30 functions)"), instrumented.stderr)
        XCTAssertTrue(instrumented.stderr.contains("its blocking calls and allocations go through glibc from now on"), instrumented.stderr)
        // Turned off, every allocation is glibc's.
        let off = try runWithSDKThread(program, environment: ["OTEL_NATIVE_KEEP_FREED_BLOCKS": "false"])
        XCTAssertEqual(off.stdout, plain.stdout)
        XCTAssertTrue(off.stderr.contains("direct system calls while the program has one thread (25 functions)"), off.stderr)
        // Nor where glibc is asked to perturb freed blocks (a debugging aid the kept blocks would go round).
        let perturbed = try runWithSDKThread(program, environment: ["MALLOC_PERTURB_": "85"])
        XCTAssertEqual(perturbed.stdout, plain.stdout)
    }

    /// A large block freed twice: glibc stops the program, kept blocks or not.
    func testALargeBlockFreedTwiceStillStopsTheProgramAsGlibcDoes() throws {
        let program = scratch.appendingPathComponent("double_free").path
        try compileC("double_free", """
            #include <stdio.h>
            #include <stdlib.h>
            int main(void) {
                char *block = malloc(4096);
                void *guard = malloc(64);
                free(block);
                free(block);
                printf("went on after a double free\\n");
                free(guard);
                return 0;
            }
            """, ["-o", program])
        let plain = try run([program], instrumented: false)
        XCTAssertEqual(plain.status, SIGABRT, plain.stderr)
        XCTAssertTrue(plain.stderr.contains("double free"), plain.stderr)
        let instrumented = try runWithSDKThread(program)
        XCTAssertEqual(instrumented.status, plain.status, instrumented.stderr)
        XCTAssertEqual(instrumented.stdout, "")
        XCTAssertTrue(instrumented.stderr.contains("double free"), instrumented.stderr)
    }
}
