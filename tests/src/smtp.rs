//! A mail server for tests: the part of SMTP (RFC 5321) a client sending one message speaks —
//! greeting, `EHLO`/`HELO`, `MAIL FROM`, `RCPT TO`, `DATA` (dot-stuffing undone), `RSET`,
//! `NOOP`, `QUIT` — on `127.0.0.1`, without TLS or authentication. It keeps each accepted mail
//! with its envelope and can refuse the next mails with a temporary error (451) or go silent
//! (it accepts connections and never says a word), as a broken server would.

use std::sync::{
    atomic::{AtomicBool, AtomicU32, Ordering},
    Arc, Mutex,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

/// One accepted mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The envelope's sender and recipients (`MAIL FROM`, `RCPT TO`), without the brackets.
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent after `DATA` (headers and body), lines joined with CRLF.
    pub data: String,
}

impl Mail {
    /// The `Subject` header, decoded.
    pub fn subject(&self) -> String {
        let parsed = mailparse::parse_mail(self.data.as_bytes()).expect("a mail");
        parsed
            .headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case("subject"))
            .map(|h| h.get_value())
            .unwrap_or_default()
    }

    /// The text body, its transfer encoding (quoted-printable, base64) undone.
    pub fn body(&self) -> String {
        let parsed = mailparse::parse_mail(self.data.as_bytes()).expect("a mail");
        parsed.get_body().expect("a text body")
    }
}

#[derive(Default)]
struct Shared {
    mails: Mutex<Vec<Mail>>,
    /// Mails still to refuse with 451.
    refuse: AtomicU32,
    /// Say nothing to new connections.
    silent: AtomicBool,
    /// Connections opened, for tests that count tries.
    connections: AtomicU32,
}

/// The server, listening until dropped.
pub struct SmtpSink {
    pub port: u16,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind(("127.0.0.1", crate::ports::free_port())).await.expect("bind the SMTP sink");
        let port = listener.local_addr().expect("address").port();
        let shared = Arc::new(Shared::default());
        let serving = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = serving.clone();
                tokio::spawn(async move {
                    shared.connections.fetch_add(1, Ordering::SeqCst);
                    if shared.silent.load(Ordering::SeqCst) {
                        return hold(stream).await;
                    }
                    if let Err(error) = session(stream, &shared).await {
                        eprintln!("smtp sink: {error}");
                    }
                });
            }
        });
        Self { port, shared, task }
    }

    /// The mails accepted so far.
    pub fn mails(&self) -> Vec<Mail> {
        self.shared.mails.lock().unwrap().clone()
    }

    /// Connections opened so far.
    pub fn connections(&self) -> u32 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Refuses the next `n` mails with `451 4.3.0` (try again later).
    pub fn refuse_next(&self, n: u32) {
        self.shared.refuse.store(n, Ordering::SeqCst);
    }

    /// New connections are accepted and never answered.
    pub fn go_silent(&self) {
        self.shared.silent.store(true, Ordering::SeqCst);
    }
}

/// A connection the server never answers, kept open until the client gives up.
async fn hold(mut stream: TcpStream) {
    let mut sink = [0u8; 512];
    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
}

async fn session(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let (mut from, mut to) = (None::<String>, Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end_matches(['\r', '\n']);
        let verb = command.split([' ', ':']).next().unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "HELO" => b"250 sink.test\r\n",
            "MAIL" => {
                if shared.refuse.load(Ordering::SeqCst) > 0 {
                    shared.refuse.fetch_sub(1, Ordering::SeqCst);
                    b"451 4.3.0 try again later\r\n"
                } else {
                    from = Some(address(command));
                    to.clear();
                    b"250 2.1.0 ok\r\n"
                }
            }
            "RCPT" if from.is_some() => {
                to.push(address(command));
                b"250 2.1.5 ok\r\n"
            }
            "DATA" if from.is_some() && !to.is_empty() => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = Vec::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    let text = line.trim_end_matches(['\r', '\n']);
                    if text == "." {
                        break;
                    }
                    data.push(text.strip_prefix('.').filter(|_| text.starts_with("..")).unwrap_or(text).to_string());
                }
                let mail = Mail {
                    from: from.take().unwrap_or_default(),
                    to: std::mem::take(&mut to),
                    data: data.join("\r\n"),
                };
                shared.mails.lock().unwrap().push(mail);
                b"250 2.0.0 queued\r\n"
            }
            "RCPT" | "DATA" => b"503 5.5.1 bad sequence of commands\r\n",
            "RSET" => {
                (from, to) = (None, Vec::new());
                b"250 2.0.0 ok\r\n"
            }
            "NOOP" => b"250 2.0.0 ok\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 command not recognised\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// `user@host` of `MAIL FROM:<user@host> SIZE=..` or `RCPT TO:<user@host>`.
fn address(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..].find('>').map_or(command.len(), |i| start + i);
    command[start..end].to_string()
}
