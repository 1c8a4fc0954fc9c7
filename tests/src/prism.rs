//! Prism (`@stoplight/prism-cli` from npm) serving a vendor's official OpenAPI file as a
//! validating mock: a request that breaks the vendor's contract is answered 422 with the
//! violations listed. One Prism per spec file per test binary, started on first use; and the
//! handover the contract tests send ([`handover`]).

use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    os::unix::process::CommandExt,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{mpsc, Mutex, OnceLock},
    time::Duration,
};

/// The official API files, kept in the repository (`tests/specs`, see its README).
pub fn spec(file: &str) -> PathBuf {
    let path = crate::workspace_root().join("tests/specs").join(file);
    assert!(
        path.is_file(),
        "the vendor API file {} is missing (tests/specs/README.md says where it comes from)",
        path.display()
    );
    path
}

/// A helper server a test binary started once, and its base URL (also `crate::s3`'s).
pub(crate) struct Running {
    pub(crate) url: String,
    pub(crate) _child: ChildGuard,
}

/// Kills its child when dropped.
pub(crate) struct ChildGuard(pub(crate) Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

/// The base URL of a Prism mock serving `spec_file`.
pub fn mock(spec_file: &str) -> String {
    static MOCKS: OnceLock<Mutex<HashMap<String, Running>>> = OnceLock::new();
    let mut mocks = MOCKS.get_or_init(Mutex::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(running) = mocks.get(spec_file) {
        return running.url.clone();
    }
    let port = crate::ports::free_port();
    let prism = crate::workspace_root().join(".tools/node_modules/.bin/prism");
    let mut child = Command::new(&prism)
        .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
        .arg(spec(spec_file))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {} (scripts/tools.sh installs it): {e}", prism.display()));
    crate::tie_to_this_process(child.id());
    let stdout = child.stdout.take().expect("prism stdout");
    let (ready, listening) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("Prism is listening") {
                let _ = ready.send(());
            }
        }
    });
    listening
        .recv_timeout(Duration::from_secs(120))
        .unwrap_or_else(|_| panic!("Prism did not start serving {spec_file} within 120 s"));
    let url = format!("http://127.0.0.1:{port}");
    mocks.insert(spec_file.to_string(), Running { url: url.clone(), _child: ChildGuard(child) });
    url
}

/// What the contract tests hand over: Ada, with `email` verified (so every request the
/// connector can make, email search included, is checked), having written `visitor_messages`.
pub fn handover(email: Option<&str>, visitor_messages: &[&str]) -> relay::connectors::Handover {
    relay::connectors::Handover {
        conversation_id: "c0ffee00-0000-4000-8000-000000000001".into(),
        site: "demo".into(),
        visitor: relay::identity::Identity {
            email_verified: email.is_some(),
            ..relay::identity::Identity::unverified(email, Some("Ada Visitor"))
        },
        summary: "The visitor wants a refund for order 1234. Email: ada@example.com.".into(),
        reason: "explicit_request".into(),
        visitor_messages: visitor_messages.iter().map(|line| line.to_string()).collect(),
        given_email_is_contact: false,
        files: vec![],
    }
}

/// Files as a helpdesk gets them: an image and a PDF at absolute addresses (the contract tests
/// check the requests' shapes; nothing fetches them).
pub fn files() -> Vec<relay::connectors::FileLink> {
    let file = |name: &str, content_type: &str| relay::connectors::FileLink {
        name: name.into(),
        content_type: content_type.into(),
        size: 2048,
        url: format!(
            "https://relay.example.com/attachments/AAAAAAAAAAAAAAAAAAAAAA?expires=1900000000&sig=abc&n={name}"
        ),
    };
    vec![file("photo.png", "image/png"), file("receipt.pdf", "application/pdf")]
}
