//! A last line on stderr before a bus error kills the process.
//!
//! SQLite in WAL mode maps the database's `-shm` file (the shared-memory index of the write-ahead
//! log) into the process's memory. When that file is truncated or replaced under the running
//! server, or the file system behind it can no longer provide or write back a page (a data
//! directory made immutable, read-only or full at run time, a failing disk), the kernel answers
//! the next access to the mapping with SIGBUS. Its default action kills the process at once: no
//! log line, nothing in the journal but "status=7/BUS".
//!
//! [`install`] adds a handler that writes one line to stderr, saying what happened and what to
//! check, then lets the signal take its default course: the process still dies of SIGBUS (the
//! exit status and a core dump, where enabled, stay what they were), since after a failed memory
//! access nothing can safely go on. The handler only does what is async-signal-safe: `write(2)`
//! of one line assembled on the stack from a message prepared at install time and the fault
//! address, formatted by hand, then `raise(2)`.
//!
//! Why not avoid the mapping: SQLite keeps the WAL index in heap memory only with
//! `locking_mode = EXCLUSIVE`, which would lock out every other process, among them
//! `dokku-pro-api user ...` run while the server runs; and a rollback journal instead of WAL would
//! cost two more fsyncs per write. `mmap_size = 0` turns off memory-mapped reads of the database
//! file, but not the `-shm` mapping.

use std::path::Path;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// The message after the address (prepared once, leaked, read by the handler).
static MESSAGE: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static MESSAGE_LEN: AtomicUsize = AtomicUsize::new(0);

const PREFIX: &[u8] = b"dokku-pro-api: fatal: SIGBUS (bus error) at address 0x";

/// The line the handler writes after the address, for a server whose data is in `data_dir`.
pub fn message(data_dir: &Path) -> String {
    format!(
        ": a memory-mapped file could no longer be read or written. The server maps the database's \
         shared-memory index, {}: it was truncated or replaced, or the data directory became \
         read-only, immutable or full under the running server, or its disk failed. Check the data \
         directory (`dokku-pro-api doctor`), then start the server again.\n",
        std::path::absolute(data_dir.join("dokku-pro-api.db-shm"))
            .unwrap_or_else(|_| data_dir.join("dokku-pro-api.db-shm"))
            .display()
    )
}

/// Installs the SIGBUS handler (once per process; a second call only replaces the message).
pub fn install(data_dir: &Path) {
    let text: &'static mut [u8] = Box::leak(message(data_dir).into_bytes().into_boxed_slice());
    MESSAGE_LEN.store(text.len(), Ordering::Release);
    MESSAGE.store(text.as_mut_ptr(), Ordering::Release);
    // SAFETY: a zeroed sigaction is a valid value; the handler has the SA_SIGINFO signature.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigbus as *const () as libc::sighandler_t;
        // SA_RESETHAND: the default action is back as soon as the handler runs, so the signal
        // raised again at its end (or a second fault) kills the process as before.
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_RESETHAND;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}

extern "C" fn on_sigbus(
    _signal: libc::c_int,
    info: *mut libc::siginfo_t,
    _context: *mut libc::c_void,
) {
    // SAFETY: only async-signal-safe calls (write, raise) on memory we own or prepared before.
    unsafe {
        let address = if info.is_null() { 0 } else { (*info).si_addr() as usize };
        let mut digits = [0u8; 16];
        let hex = format_hex(address, &mut digits);
        let message = MESSAGE.load(Ordering::Acquire);
        let rest: &[u8] = if message.is_null() {
            b"\n"
        } else {
            std::slice::from_raw_parts(message, MESSAGE_LEN.load(Ordering::Acquire))
        };
        // One write(2) for the whole line, which a pipe keeps in one piece (up to PIPE_BUF),
        // so other threads' log lines cannot land inside it; the leading newline ends a log
        // line another thread may have been writing.
        let mut line = [0u8; LINE_MAX];
        let parts: [&[u8]; 4] = [b"\n", PREFIX, hex, rest];
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len <= line.len() {
            let mut at = 0;
            for part in parts {
                line[at..at + part.len()].copy_from_slice(part);
                at += part.len();
            }
            write_all(&line[..len]);
        } else {
            parts.iter().for_each(|part| write_all(part));
        }
        // Blocked while the handler runs: delivered, with the default action, when it returns.
        libc::raise(libc::SIGBUS);
    }
}

/// The longest line the handler assembles on its (alternate) stack before writing it at once.
const LINE_MAX: usize = 2048;

/// `value` in lower-case hexadecimal, without leading zeros, into `out`.
fn format_hex(value: usize, out: &mut [u8; 16]) -> &[u8] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut n = value;
    let mut start = out.len();
    loop {
        start -= 1;
        out[start] = DIGITS[n & 0xf];
        n >>= 4;
        if n == 0 || start == 0 {
            break;
        }
    }
    &out[start..]
}

/// `write(2)` to stderr until all is written or it fails.
unsafe fn write_all(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: the pointer and length describe `bytes`.
        let n = unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_written_in_hex() {
        let mut buf = [0u8; 16];
        assert_eq!(format_hex(0, &mut buf), b"0");
        assert_eq!(format_hex(0x7f3a_0000_1000, &mut buf), b"7f3a00001000");
        assert_eq!(format_hex(usize::MAX, &mut buf), b"ffffffffffffffff");
    }

    #[test]
    fn the_message_names_the_mapped_file() {
        let text = message(Path::new("/var/lib/dokku-pro-api"));
        assert!(text.contains("/var/lib/dokku-pro-api/dokku-pro-api.db-shm"), "{text}");
        assert!(text.ends_with('\n'));
    }
}
