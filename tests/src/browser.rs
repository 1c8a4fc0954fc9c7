//! Headless Chromium driven through chromedriver (WebDriver) with fantoccini.
//!
//! One chromedriver per test binary, started on a free port on first use; one fresh browser
//! profile per [`Browser`]. The widget lives in an open shadow root, so queries go through
//! small JavaScript snippets that look inside it.

use std::{
    os::unix::process::CommandExt,
    process::{Child, Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

use fantoccini::{elements::Element, Client, ClientBuilder};
use serde_json::{json, Value};

/// How long a browser test waits for something to appear.
pub const WAIT: Duration = Duration::from_secs(20);

struct Driver {
    url: String,
    _process: Child,
    _guard: ChildGuard,
}

/// Kills chromedriver when the test binary exits (static destructors do not run, so the
/// process is also killed by `chromedriver`'s own parent-death handling on Linux).
struct ChildGuard(u32);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.to_string()).status();
    }
}

fn driver() -> &'static Driver {
    static DRIVER: OnceLock<Driver> = OnceLock::new();
    DRIVER.get_or_init(|| {
        let port = crate::ports::free_port();
        let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let process = Command::new(&binary)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {binary} (install chromium-driver: scripts/tools.sh browser): {e}")
            });
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        crate::tie_to_this_process(process.id());
        let guard = ChildGuard(process.id());
        Driver { url, _process: process, _guard: guard }
    })
}

/// A Chrome DevTools command, through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &reqwest::Url,
        session: Option<&str>,
    ) -> Result<reqwest::Url, <reqwest::Url as std::str::FromStr>::Err> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::POST, Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()))
    }
}

/// A headless Chromium with a fresh profile.
pub struct Browser {
    pub client: Client,
    _profile: tempfile::TempDir,
}

/// How a [`Browser`] differs from the default one (English, light, desktop).
#[derive(Default)]
pub struct Options<'a> {
    /// The browser's languages, as `Accept-Language` and `navigator.languages` (`"de-DE,de"`).
    pub languages: Option<&'a str>,
    /// `prefers-color-scheme: dark`.
    pub dark: bool,
    /// Where downloads are saved, without asking (else Chromium's default).
    pub downloads: Option<&'a std::path::Path>,
    /// A phone: Chromium's mobile emulation at 390×844 CSS pixels, touch, a phone's user agent.
    pub mobile: bool,
    /// The time zone the browser is in (an IANA name, as `Intl` reports it), else the machine's.
    pub time_zone: Option<&'a str>,
}

impl Browser {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options<'_>) -> Self {
        let profile = tempfile::tempdir().expect("profile dir");
        let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let mut prefs = serde_json::Map::new();
        if let Some(languages) = options.languages {
            args.push(format!("--lang={}", languages.split(',').next().unwrap_or(languages)));
            prefs.insert("intl.accept_languages".into(), json!(languages));
        }
        if let Some(dir) = options.downloads {
            prefs.insert("download.default_directory".into(), json!(dir.display().to_string()));
            prefs.insert("download.prompt_for_download".into(), json!(false));
        }
        if options.dark {
            args.push("--force-dark-mode".into());
            args.push("--blink-settings=preferredColorScheme=0".into());
        }
        let mut chrome = json!({ "binary": binary, "args": args, "prefs": prefs });
        if options.mobile {
            chrome["mobileEmulation"] = json!({
                "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 3.0, "touch": true },
                "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
                              Chrome/131.0.0.0 Mobile Safari/537.36",
            });
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), chrome);
        let client = ClientBuilder::native()
            .capabilities(caps)
            .connect(&driver().url)
            .await
            .expect("start a Chromium session through chromedriver");
        if let Some(zone) = options.time_zone {
            let set = Cdp { cmd: "Emulation.setTimezoneOverride", params: json!({ "timezoneId": zone }) };
            client.issue_cmd(set).await.unwrap_or_else(|e| panic!("set the time zone {zone}: {e}"));
        }
        Self { client, _profile: profile }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Runs `body` (a function body using `root`, the widget's shadow root or null) and returns
    /// its result.
    pub async fn in_widget(&self, body: &str) -> Value {
        let script = format!(
            "const host = document.getElementById('baton-widget-host'); \
             const root = host ? host.shadowRoot : null; {body}"
        );
        self.client.execute(&script, vec![]).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Runs a page script and returns its result.
    pub async fn eval(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits until `body` (as for [`Self::in_widget`]) returns something truthy, and returns it.
    pub async fn wait_for(&self, what: &str, body: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let value = self.in_widget(body).await;
            let truthy = match &value {
                Value::Null | Value::Bool(false) => false,
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                Value::Number(n) => n.as_f64() != Some(0.0),
                _ => true,
            };
            if truthy {
                return value;
            }
            if Instant::now() > deadline {
                let dump = self.in_widget("return root ? root.innerHTML : document.body.innerHTML;").await;
                panic!("timed out waiting for {what}; widget:\n{dump}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// An element inside the widget, for real clicks and key presses.
    pub async fn widget_element(&self, selector: &str) -> Element {
        let body = format!("return root && root.querySelector({});", json!(selector));
        self.wait_for(selector, &body).await;
        let value = self.in_widget(&body).await;
        Element::from_element_id(self.client.clone(), element_id(&value))
    }

    /// An element of the page itself (outside the widget), once it exists.
    pub async fn page_element(&self, selector: &str) -> Element {
        let body = format!("return document.querySelector({});", json!(selector));
        self.wait_for(selector, &body).await;
        self.client.find(fantoccini::Locator::Css(selector)).await.unwrap_or_else(|e| panic!("find {selector}: {e}"))
    }

    /// Types `text` into the page's input `selector` in place of what it holds.
    pub async fn fill(&self, selector: &str, text: &str) {
        let input = self.page_element(selector).await;
        input.clear().await.unwrap_or_else(|e| panic!("clear {selector}: {e}"));
        input.send_keys(text).await.unwrap_or_else(|e| panic!("type into {selector}: {e}"));
    }

    /// Clicks the page's element `selector`.
    pub async fn click(&self, selector: &str) {
        self.page_element(selector).await.click().await.unwrap_or_else(|e| panic!("click {selector}: {e}"));
    }

    /// Waits for the page (not the widget) to show `text`.
    pub async fn page_shows(&self, text: &str) {
        let body = format!("return document.body && document.body.textContent.includes({});", json!(text));
        self.wait_for(&format!("the page to show {text:?}"), &body).await;
    }

    /// Clicks a button inside the widget whose text contains `text`.
    pub async fn click_widget_button(&self, selector: &str, text: &str) {
        let body = format!(
            "return root && Array.from(root.querySelectorAll({})).find(b => b.textContent.includes({}) && !b.disabled);",
            json!(selector),
            json!(text)
        );
        self.wait_for(&format!("{selector} with {text:?}"), &body).await;
        let value = self.in_widget(&body).await;
        let button = Element::from_element_id(self.client.clone(), element_id(&value));
        button.click().await.unwrap_or_else(|e| panic!("click {selector} {text:?}: {e}"));
    }

    /// The chat messages shown: (role, text) in display order.
    pub async fn messages(&self) -> Vec<(String, String)> {
        let value = self
            .in_widget(
                "return root ? Array.from(root.querySelectorAll('[data-testid=message]')).map(m => \
                 [m.getAttribute('data-role'), (m.querySelector('[data-testid=message-text]') || m).textContent.trim()]) : [];",
            )
            .await;
        serde_json::from_value(value).unwrap_or_default()
    }

    /// Waits until a message of `role` containing `text` is shown.
    pub async fn wait_for_message(&self, role: &str, text: &str) {
        let body = format!(
            "return root && Array.from(root.querySelectorAll('[data-testid=message][data-role={role}]')).some(m => m.textContent.includes({}));",
            json!(text)
        );
        self.wait_for(&format!("a {role} message with {text:?}"), &body).await;
    }

    /// Opens the chat by clicking the launcher, like a visitor, and waits for the panel.
    pub async fn open_chat(&self) {
        self.widget_element("[data-testid=launcher]").await.click().await.expect("click the launcher");
        self.wait_for("the chat panel", "return root && root.querySelector('[data-testid=composer]');").await;
    }

    /// Waits until the widget says its connection is online.
    pub async fn wait_online(&self) {
        let online = "return root && root.querySelector('[data-testid=connection][data-state=online]');";
        self.wait_for("the connection to be online", online).await;
    }

    /// Types `text` into the composer with real key presses and presses Enter.
    pub async fn type_and_send(&self, text: &str) {
        let composer = self.widget_element("[data-testid=composer]").await;
        composer.send_keys(text).await.expect("type into the composer");
        composer.send_keys("\u{E007}").await.expect("press Enter");
    }

    /// Opens the built-in agent inbox of the relay at `url`, signs in with the demo agent's
    /// token and waits until it is online.
    pub async fn sign_in_to_inbox(&self, url: &str) {
        self.goto(&format!("{url}/inbox/")).await;
        self.page_element("[data-testid=token]").await.send_keys(crate::agent_client::DEMO_TOKEN).await.unwrap();
        self.page_element("[data-testid=signin-button]").await.click().await.unwrap();
        let online = "return document.querySelector('[data-testid=inbox-status][data-state=online]');";
        self.wait_for("the inbox online", online).await;
    }

    /// Saves a PNG of the page to `$BATON_SCREENSHOT_DIR/<name>.png`, by default
    /// `target/screenshots/<name>.png` in the workspace, and prints where (for looking at the
    /// product; tests do not depend on it).
    pub async fn screenshot(&self, name: &str) {
        let dir = std::env::var("BATON_SCREENSHOT_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|_| crate::workspace_root().join("target/screenshots"));
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        println!("screenshot: {}", path.display());
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

fn element_id(value: &Value) -> fantoccini::elements::ElementRef {
    let id = value
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("not an element: {value}"));
    fantoccini::elements::ElementRef::from(id.to_string())
}
