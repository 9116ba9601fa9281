//! Failures of the system and the network in words a person can act on.
//!
//! The operating system says "Connection refused (os error 111)" or "No such file or directory
//! (os error 2)"; a person needs "nothing answers at that address" or "there is no such file or
//! folder". The system's own words still matter to whoever helps: they go to the log and to the
//! [`Problem`](super::problem::Problem)'s `detail`, which the window shows under "Details".
//! Hand-written: the mapping is from `std::io::ErrorKind`, which no crate words for people.

use std::error::Error;
use std::io::ErrorKind;

/// A file-system failure in plain words.
pub fn io(e: &std::io::Error) -> &'static str {
    match e.kind() {
        ErrorKind::NotFound => "there is no such file or folder",
        ErrorKind::PermissionDenied => "Stratos is not allowed to use it (check its permissions)",
        ErrorKind::AlreadyExists => "something with that name is already there",
        ErrorKind::StorageFull => "the disk is full",
        ErrorKind::ReadOnlyFilesystem => "the disk is read-only",
        ErrorKind::NotADirectory => "a file is where a folder should be",
        ErrorKind::IsADirectory => "a folder is where a file should be",
        ErrorKind::DirectoryNotEmpty => "the folder is not empty",
        ErrorKind::InvalidFilename => "the name is not allowed on this system",
        ErrorKind::UnexpectedEof | ErrorKind::InvalidData => "the file is damaged or cut short",
        ErrorKind::Interrupted | ErrorKind::WouldBlock | ErrorKind::TimedOut => {
            "the system did not finish in time"
        }
        _ => "the system refused",
    }
}

/// Why a connection could not be made, in plain words, from the transport's chain of causes.
pub fn connection(e: &(dyn Error + 'static)) -> &'static str {
    let mut cur: Option<&(dyn Error + 'static)> = Some(e);
    let mut text = String::new();
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            match io.kind() {
                ErrorKind::ConnectionRefused => {
                    return "nothing answers at that address (the server may be down)";
                }
                ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
                    return "the connection was cut";
                }
                ErrorKind::TimedOut => return "it did not answer in time",
                ErrorKind::NetworkUnreachable | ErrorKind::HostUnreachable => {
                    return "the network cannot reach it (check your connection)";
                }
                _ => {}
            }
        }
        text.push_str(&err.to_string().to_ascii_lowercase());
        text.push(' ');
        cur = err.source();
    }
    if text.contains("dns") || text.contains("lookup") || text.contains("name or service") {
        "there is no such host (check the address)"
    } else if text.contains("certificate") || text.contains("tls") || text.contains("ssl") {
        "its security certificate was not accepted"
    } else {
        "the connection failed"
    }
}

/// The whole chain of causes, for the log and the "Details" a person may pass on.
pub fn chain(e: &(dyn Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(err) = cur {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = err.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_errors_are_said_without_the_system_s_numbers() {
        let e = std::io::Error::from_raw_os_error(2);
        assert!(e.to_string().contains("os error 2"));
        assert_eq!(io(&e), "there is no such file or folder");
        let e = std::io::Error::from(ErrorKind::PermissionDenied);
        assert!(io(&e).contains("not allowed"));
    }

    /// A transport error as HTTP clients nest them: a request error caused by an OS error.
    #[derive(Debug, thiserror::Error)]
    #[error("error sending request")]
    struct Request(#[source] std::io::Error);

    #[test]
    fn a_refused_connection_is_said_plainly_and_the_chain_is_kept() {
        let outer = Request(std::io::Error::from_raw_os_error(111));
        assert_eq!(
            connection(&outer),
            "nothing answers at that address (the server may be down)"
        );
        assert!(chain(&outer).contains("os error 111"), "{}", chain(&outer));
    }
}
