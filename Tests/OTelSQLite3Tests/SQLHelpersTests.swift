import OTelSQLite3
import XCTest

/// The SQL helpers behind db.query.text, db.operation.name, db.collection.name.
final class SQLHelpersTests: XCTestCase {
    func sanitized(_ sql: String) -> String {
        var buffer = [CChar](repeating: 0, count: sql.utf8.count + 1)
        otel_sql_sanitize(sql, &buffer, buffer.count)
        return String(cString: buffer)
    }

    func summary(_ sql: String) -> (String, String) {
        var result = otel_sql_summary()
        otel_sql_summarize(sql, &result)
        let operation = withUnsafeBytes(of: result.operation) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let collection = withUnsafeBytes(of: result.collection) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return (operation, collection)
    }

    func testLiteralsAreReplaced() {
        XCTAssertEqual(sanitized("insert into t values (1, 'it''s', 2.5e3, x'00ff', -7, 0x1F)"),
                       "insert into t values (?, ?, ?, ?, -?, ?)")
        XCTAssertEqual(sanitized("select * from t2 where name = 'ann' -- secret\nand id = 42 /* 99 */"),
                       "select * from t2 where name = ? \nand id = ? ")
        XCTAssertEqual(sanitized("select \"col1\", [x 2], `a3` from v where c = ?1"), "select \"col1\", [x 2], `a3` from v where c = ??")
        XCTAssertEqual(sanitized("update users set password = 'hunter2' where id = :id"), "update users set password = ? where id = :id")
        XCTAssertEqual(sanitized("\n  /* why */ delete from t where id = 3"), "delete from t where id = ?", "starts at the first token")
        XCTAssertEqual(sanitized("select abc123, fee2, e5 from d4 where x = 0x1F and y = 1e3"),
                       "select abc123, fee2, e5 from d4 where x = ? and y = ?", "digits inside words stay")
    }

    /// An output buffer smaller than the text: cut, terminated, and the scan still ends
    /// (it once stopped advancing when a quoted identifier or a symbol met a full buffer).
    func testSanitizeIntoASmallBuffer() {
        for (sql, expected) in [("\"quoted identifier\" = 5", "\"qu"), ("((((((((", "((("), ("select 'a' from t", "sel")] {
            var buffer = [CChar](repeating: 0x7f, count: 4)
            otel_sql_sanitize(sql, &buffer, buffer.count)
            XCTAssertEqual(String(cString: buffer), expected)
        }
    }

    /// Random text made of SQL's special characters and arbitrary bytes, into buffers of
    /// every small size: each call ends, stays within its buffer and terminates it.
    func testRandomTextNeverOverrunsOrStalls() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ax'X\"`[]-/*.0123e+E \n;(),_$\\".utf8)
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 0..<24, using: &generator)).map { _ -> UInt8 in
                Bool.random(using: &generator) ? alphabet.randomElement(using: &generator)! : UInt8.random(in: 1...255, using: &generator)
            }
            let size = Int.random(in: 1..<12, using: &generator)
            var buffer = [CChar](repeating: 0x7f, count: size + 8)
            (text.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer { sql in
                otel_sql_sanitize(sql.baseAddress!, &buffer, size)
                var summary = otel_sql_summary()
                otel_sql_summarize(sql.baseAddress!, &summary)
            }
            XCTAssertTrue(buffer[..<size].contains(0), "terminated within its size")
            XCTAssertTrue(buffer[size...].allSatisfy { $0 == 0x7f }, "nothing written past the size")
        }
    }

    func testOperationAndCollection() {
        XCTAssertTrue(summary("SELECT * FROM users WHERE id = 1") == ("SELECT", "users"))
        XCTAssertTrue(summary("select a from t1 join t2 on t1.x = t2.x") == ("SELECT", ""))
        XCTAssertTrue(summary("select a from t1, t2") == ("SELECT", ""))
        XCTAssertTrue(summary("select (select max(x) from inner_t) from outer_t") == ("SELECT", "outer_t"))
        XCTAssertTrue(summary("insert or replace into \"Items\" values (1)") == ("INSERT", "Items"))
        XCTAssertTrue(summary("UPDATE OR IGNORE accounts SET x = 1") == ("UPDATE", "accounts"))
        XCTAssertTrue(summary("delete from logs") == ("DELETE", "logs"))
        XCTAssertTrue(summary("create table if not exists main.t(x)") == ("CREATE TABLE", "main.t"))
        XCTAssertTrue(summary("CREATE UNIQUE INDEX i ON t(x)") == ("CREATE INDEX", ""))
        XCTAssertTrue(summary("  -- leading comment\n BEGIN") == ("BEGIN", ""))
        XCTAssertTrue(summary("") == ("", ""))
    }

    func testSummaryText() {
        func text(_ sql: String, size: Int = 64) -> String {
            var result = otel_sql_summary()
            otel_sql_summarize(sql, &result)
            var buffer = [CChar](repeating: 0x7f, count: size)
            otel_sql_summary_text(&result, &buffer, size)
            return String(cString: buffer)
        }
        XCTAssertEqual(text("select * from users"), "SELECT users")
        XCTAssertEqual(text("create temp table t(x)"), "CREATE TABLE t")
        XCTAssertEqual(text("begin"), "BEGIN")
        XCTAssertEqual(text("/* nothing */"), "sqlite")
        XCTAssertEqual(text("select * from users", size: 9), "SELECT u", "bounded and terminated")
    }
}
