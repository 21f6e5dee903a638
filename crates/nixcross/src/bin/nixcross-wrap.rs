//! nixcross-wrap: what the `nixcross-<target>-<role>` links point at. It only acts as
//! the tool its argv[0] names (the hot path, nixcross's library), so each of the
//! thousands of compiler and linker calls in a build loads a small program; the tools
//! people call live in `nixcross`.

use std::process::ExitCode;

use nixcross::hot::table::{self, Table};
use nixcross::hot::wrap;

fn main() -> ExitCode {
    // Arguments are passed on as the system gave them, UTF-8 or not (see hot::osargs).
    let mut argv = std::env::args_os();
    let argv0 = argv.next().unwrap_or_default();
    let argv0 = argv0.to_string_lossy();
    let argv0 = argv0.rsplit('/').next().unwrap_or_default();
    let Some((target, role)) = table::parse_link_name(argv0) else {
        eprintln!(
            "nixcross: error: called as '{argv0}', which names no target and role nixcross knows: nixcross-wrap runs only through the nixcross-<target>-<role> links ('nixcross links --dir DIR' makes them; 'nixcross targets' lists the targets)"
        );
        return ExitCode::from(2);
    };
    let table = Table::load_for(target).expect("parse_link_name knows only table targets");
    match wrap::act_as(&table, target, role, argv.collect(), &wrap::process_env) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("nixcross: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// A bump allocator over a static arena: the wrapper lives for one call and then becomes
/// zig (exec), so it never needs memory back, and packing every allocation into a few
/// contiguous pages costs fewer page faults than a general allocator's size-class slabs.
/// Past the arena (huge response files), allocations go to the system allocator.
mod arena {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::UnsafeCell;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const SIZE: usize = 1 << 20;

    #[repr(C, align(4096))]
    pub struct Arena {
        bytes: UnsafeCell<[u8; SIZE]>,
        used: AtomicUsize,
    }

    // SAFETY: `used` hands out disjoint ranges atomically.
    unsafe impl Sync for Arena {}

    impl Arena {
        pub const fn new() -> Arena {
            Arena {
                bytes: UnsafeCell::new([0; SIZE]),
                used: AtomicUsize::new(0),
            }
        }

        fn contains(&self, ptr: *mut u8) -> bool {
            let start = self.bytes.get() as usize;
            (start..start + SIZE).contains(&(ptr as usize))
        }
    }

    unsafe impl GlobalAlloc for Arena {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let base = self.bytes.get() as usize;
            let mut used = self.used.load(Ordering::Relaxed);
            loop {
                let start = (base + used).next_multiple_of(layout.align()) - base;
                let end = start + layout.size();
                if end > SIZE {
                    // SAFETY: the caller's layout is valid for System too.
                    return unsafe { System.alloc(layout) };
                }
                match self.used.compare_exchange_weak(
                    used,
                    end,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return (base + start) as *mut u8,
                    Err(now) => used = now,
                }
            }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            if !self.contains(ptr) {
                // SAFETY: not ours, so System allocated it with this layout.
                unsafe { System.dealloc(ptr, layout) }
            }
        }
    }
}

#[global_allocator]
static ARENA: arena::Arena = arena::Arena::new();
