//! rusqlite with the bundled SQLite amalgamation compiled through the wrapper.
use rusqlite::Connection;

fn main() -> rusqlite::Result<()> {
    let db = Connection::open_in_memory()?;
    db.execute_batch("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1), (2), (3);")?;
    let sum: i64 = db.query_row("SELECT sum(x) FROM t", [], |r| r.get(0))?;
    let version: String = db.query_row("SELECT sqlite_version()", [], |r| r.get(0))?;
    let json: String = db.query_row("SELECT json_object('a', 1)", [], |r| r.get(0))?;
    println!("sqlite-bundled: sqlite={version} sum={sum} json={json}");
    Ok(())
}
