//! std only: threads, collections, formatting, panics caught across an unwind.
use std::collections::BTreeMap;

fn main() {
    let sum: u64 = std::thread::spawn(|| (1..=100u64).sum()).join().unwrap();
    let words: BTreeMap<&str, usize> = ["b", "a", "b"].iter().fold(BTreeMap::new(), |mut m, w| {
        *m.entry(*w).or_default() += 1;
        m
    });
    // A panic that unwinds and is caught proves the unwinder links and works; no message.
    std::panic::set_hook(Box::new(|_| {}));
    let caught = std::panic::catch_unwind(|| panic!("boom")).is_err();
    println!("hello-std: sum={sum} words={words:?} unwind={caught}");
}
