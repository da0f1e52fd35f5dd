//! A plain-HTTP GET of a model server's API, as an operator's `curl` would
//! make it: HTTP/1.0 (no chunked answer to decode), bounded in time and
//! size, so a server that accepts and never answers cannot hang verify.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub const LIMIT: Duration = Duration::from_secs(5);
/// More than any model list; a larger answer is cut, not waited for.
const MAX_ANSWER: u64 = 1 << 20;

/// The status code and body of `GET path` at `addr`.
pub fn get(addr: SocketAddr, path: &str) -> Result<(u16, String), String> {
    let mut s = TcpStream::connect_timeout(&addr, LIMIT)
        .map_err(|e| format!("connect to {addr}: {}", crate::flows::said(&e)))?;
    let io = |e: std::io::Error| format!("GET http://{addr}{path}: {}", crate::flows::said(&e));
    s.set_read_timeout(Some(LIMIT)).map_err(io)?;
    s.set_write_timeout(Some(LIMIT)).map_err(io)?;
    let request = format!(
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    s.write_all(request.as_bytes()).map_err(io)?;
    let mut raw = Vec::new();
    s.take(MAX_ANSWER).read_to_end(&mut raw).map_err(io)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("GET http://{addr}{path}: no HTTP answer"))?;
    let code = head
        .lines()
        .next()
        .and_then(|status| status.strip_prefix("HTTP/1."))
        .and_then(|rest| rest.get(2..).map(str::trim_start))
        .and_then(|rest| rest.get(..3))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("GET http://{addr}{path}: not an HTTP status line"))?;
    Ok((code, body.to_string()))
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;

    #[test]
    fn the_code_and_body_are_read_and_silence_is_a_failure() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            let mut buf = [0u8; 512];
            let n = c.read(&mut buf).unwrap();
            assert!(String::from_utf8_lossy(&buf[..n]).starts_with("GET /v1/models HTTP/1.0\r\n"));
            c.write_all(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"data\":[]}")
                .unwrap();
        });
        assert_eq!(
            super::get(addr, "/v1/models").unwrap(),
            (200, "{\"data\":[]}".to_string())
        );
        server.join().unwrap();
        drop(TcpListener::bind(addr));
        let closed = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let e = super::get(closed, "/api/tags").unwrap_err();
        assert!(e.contains(&format!("connect to {closed}")), "{e}");
    }
}
