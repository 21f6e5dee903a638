//! zig's life tied to nixcross's while nixcross waits for it (a cold first link, or a
//! call with response files to remove afterwards): zig dies if nixcross dies, signals
//! nixcross gets are passed on to zig, and when zig was killed, nixcross dies of the
//! same signal, as `exec` would have made it.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering};

/// The zig child being waited for (0: none).
static CHILD: AtomicI32 = AtomicI32::new(0);

/// What a build tool or a terminal sends to stop a build.
const FORWARDED: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

extern "C" fn forward(sig: libc::c_int) {
    let pid = CHILD.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

/// zig gets SIGKILL when nixcross ends, even by SIGKILL (Linux PR_SET_PDEATHSIG).
pub fn die_with_parent(cmd: &mut Command) {
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

/// Waits for `child`, passing the signals in FORWARDED on to it meanwhile.
pub fn wait_forwarding(mut child: Child) -> std::io::Result<ExitStatus> {
    CHILD.store(child.id() as i32, Ordering::SeqCst);
    let handler = forward as extern "C" fn(libc::c_int) as libc::sighandler_t;
    let mut previous = Vec::new();
    for sig in FORWARDED {
        // SAFETY: installs a handler that only calls kill.
        previous.push((sig, unsafe { libc::signal(sig, handler) }));
    }
    let status = child.wait();
    CHILD.store(0, Ordering::SeqCst);
    for (sig, old) in previous {
        // SAFETY: restores what was there before.
        unsafe {
            libc::signal(sig, old);
        }
    }
    status
}

/// Ends nixcross by `sig`, as zig ended; returns the shell's 128+N if that fails.
pub fn die_of(sig: i32) -> i32 {
    // SAFETY: resets the default action and raises the signal on ourselves.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
    128 + sig
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn a_signal_to_the_waiting_process_reaches_the_child() {
        // sh waits for a long sleep; a SIGTERM to us must end it (not leave it running).
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", "exec sleep 30"]);
        die_with_parent(&mut cmd);
        let child = cmd.spawn().unwrap();
        let me = std::process::id() as i32;
        let killer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            // SAFETY: sends SIGTERM to this test process, whose handler forwards it.
            unsafe {
                libc::kill(me, libc::SIGTERM);
            }
        });
        let started = std::time::Instant::now();
        let status = wait_forwarding(child).unwrap();
        killer.join().unwrap();
        assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
        assert!(started.elapsed().as_secs() < 10);
    }
}
