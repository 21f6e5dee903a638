//! Prints one line that proves the C dependency (SQLite, built from source by cc-rs
//! through nixcross) compiled, linked and runs on the target.
use rusqlite::Connection;

fn main() -> rusqlite::Result<()> {
    let db = Connection::open_in_memory()?;
    db.execute_batch("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (20), (22);")?;
    let sum: i64 = db.query_row("SELECT sum(x) FROM t", [], |r| r.get(0))?;
    let version: String = db.query_row("SELECT sqlite_version()", [], |r| r.get(0))?;
    println!(
        "hello-cross {}: sqlite {version} says 20+22={sum}",
        env!("CARGO_PKG_VERSION")
    );
    Ok(())
}
