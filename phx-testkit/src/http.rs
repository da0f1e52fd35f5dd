//! A tiny HTTP/1.0 file server on 127.0.0.1 for tests of download steps:
//! traffic never leaves the machine, and the test sees every request it
//! served (a converged second run must fetch nothing). Only `GET` of the
//! paths the test put in; everything else is 404. std only, so phx-apply's
//! tests (which cannot depend on this crate, it depends on phx-apply)
//! include this file by path.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct Served {
    files: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
    requests: Arc<Mutex<Vec<String>>>,
}

pub struct Server {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
    served: Served,
}

impl Server {
    /// Listens on a free port of 127.0.0.1; its thread serves until the test
    /// process ends.
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let served = Served::default();
        let s = served.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || serve(conn, &s));
            }
        });
        Server { base, served }
    }

    /// Serves `body` at `path` (`/noble/current/x.img`); its URL.
    pub fn put(&self, path: &str, body: &[u8]) -> String {
        self.served
            .files
            .lock()
            .unwrap()
            .insert(path.to_string(), body.to_vec());
        format!("{}{path}", self.base)
    }

    /// The paths requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.served.requests.lock().unwrap().clone()
    }
}

fn serve(conn: TcpStream, s: &Served) {
    let mut reader = BufReader::new(&conn);
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let mut parts = first.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    s.requests.lock().unwrap().push(path.to_string());
    let body = (method == "GET")
        .then(|| s.files.lock().unwrap().get(path).cloned())
        .flatten();
    let mut out = &conn;
    let _ = match body {
        Some(b) => out
            .write_all(
                format!(
                    "HTTP/1.0 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    b.len()
                )
                .as_bytes(),
            )
            .and_then(|()| out.write_all(&b)),
        None => out
            .write_all(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    };
}
