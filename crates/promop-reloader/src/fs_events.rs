//! File-system events (inotify) on the config file and the watched
//! directories. An event only says "look again": what changed is decided
//! by comparing contents, so a lost or spurious event costs nothing but a
//! read (and the watch interval catches anything missed).
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use tokio::sync::mpsc;

const MASK: u32 = libc::IN_CREATE
    | libc::IN_DELETE
    | libc::IN_MODIFY
    | libc::IN_CLOSE_WRITE
    | libc::IN_MOVED_FROM
    | libc::IN_MOVED_TO
    | libc::IN_ATTRIB
    | libc::IN_DELETE_SELF
    | libc::IN_MOVE_SELF;

/// Watches `paths` (files are followed through symlinks, directories are
/// not recursive, as the reference's); each batch of events sends one
/// message carrying the number of events.
pub fn watch(paths: &[&Path]) -> io::Result<mpsc::UnboundedReceiver<usize>> {
    // SAFETY: plain syscall; the returned descriptor is owned below.
    let fd = unsafe { libc::inotify_init1(libc::IN_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh descriptor nobody else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    for path in paths {
        let c_path = CString::new(path.as_os_str().as_bytes())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        // SAFETY: valid descriptor and NUL-terminated path.
        if unsafe { libc::inotify_add_watch(fd.as_raw_fd(), c_path.as_ptr(), MASK) } < 0 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(
                e.kind(),
                format!("watch {}: {e}", path.display()),
            ));
        }
    }
    let (tx, rx) = mpsc::unbounded_channel();
    // A blocking read in a thread of its own: inotify needs no more.
    std::thread::Builder::new()
        .name("inotify".into())
        .spawn(move || read_events(&fd, &tx))?;
    Ok(rx)
}

fn read_events(fd: &OwnedFd, tx: &mpsc::UnboundedSender<usize>) {
    let header = std::mem::size_of::<libc::inotify_event>();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        // SAFETY: the buffer outlives the call and its length is passed.
        let n = unsafe { libc::read(fd.as_raw_fd(), buffer.as_mut_ptr().cast(), buffer.len()) };
        if n < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            tracing::error!(error = %io::Error::last_os_error(), "reading file-system events failed; relying on --watch-interval");
            return;
        }
        // Count the events of the batch: each is a header plus its name.
        let (mut offset, mut events) = (0usize, 0usize);
        let n = n as usize;
        while offset + header <= n {
            let len_at = offset + header - 4;
            let name_len =
                u32::from_ne_bytes(buffer[len_at..len_at + 4].try_into().unwrap_or([0; 4]));
            offset += header + name_len as usize;
            events += 1;
        }
        if tx.send(events).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn writes_and_renames_in_a_directory_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut rx = watch(&[dir.path()]).unwrap();
        std::fs::write(dir.path().join("a"), "x").unwrap();
        let got = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        assert!(got.unwrap().unwrap() >= 1);
        assert!(watch(&[&dir.path().join("missing")]).is_err());
    }
}
