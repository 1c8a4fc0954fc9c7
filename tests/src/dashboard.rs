//! A browser stand-in for the owner dashboard (`/admin/`): keeps its cookies, reads the CSRF
//! token of the page it got, follows no redirect on its own (so tests see each answer).

use std::collections::BTreeMap;

use reqwest::{header, redirect::Policy, StatusCode};

/// One answer of the dashboard.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Page {
    /// The `csrf` field of the page's forms.
    pub fn csrf(&self) -> String {
        let at = self.body.find("name=\"csrf\" value=\"").unwrap_or_else(|| panic!("no CSRF field in {}", self.body));
        let rest = &self.body[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').expect("closing quote")].to_string()
    }

    pub fn redirects_to(&self, path: &str) -> bool {
        self.status.is_redirection() && self.location.as_deref() == Some(path)
    }
}

pub struct Dashboard {
    http: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
}

/// The password tests give accounts.
pub const PASSWORD: &str = "correct horse battery staple";

impl Dashboard {
    /// A browser with no cookies, at the relay `base` (`http://host:port`).
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder().redirect(Policy::none()).build().expect("client");
        Self { http, base: base.trim_end_matches('/').to_string(), cookies: BTreeMap::new() }
    }

    /// Sends `pair` (`name=value`) from now on, as a copied cookie would be.
    pub fn set_cookie(&mut self, pair: &str) {
        if let Some((name, value)) = pair.split_once('=') {
            self.cookies.insert(name.to_string(), value.to_string());
        }
    }

    /// The `Cookie` header this browser sends.
    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("; ")
    }

    async fn read(&mut self, response: reqwest::Response) -> Page {
        let status = response.status();
        let location = response.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).map(str::to_string);
        let set_cookies: Vec<String> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|c| c.to_str().ok())
            .map(str::to_string)
            .collect();
        for cookie in &set_cookies {
            let pair = cookie.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || cookie.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_string(), value.to_string());
                }
            }
        }
        Page { status, location, set_cookies, body: response.text().await.unwrap_or_default() }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(header::COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        self.read(response).await
    }

    /// Posts `fields` as a form, exactly as given (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(header::COOKIE, self.cookie_header())
            .form(fields)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        self.read(response).await
    }

    /// Opens `page` and posts its form to `action` with `fields` and the page's CSRF token, as a
    /// browser submitting it would.
    pub async fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let shown = self.get(page).await;
        assert_eq!(shown.status, StatusCode::OK, "GET {page}: {}", shown.body);
        let csrf = shown.csrf();
        let mut fields = fields.to_vec();
        fields.push(("csrf", &csrf));
        self.post_raw(action, &fields).await
    }

    /// The first owner, made with the setup token.
    pub async fn set_up(&mut self, token: &str, email: &str) -> Page {
        let page = format!("/admin/setup?token={token}");
        let fields = [("token", token), ("name", "Olivia Owner"), ("email", email), ("password", PASSWORD)];
        self.submit(&page, "/admin/setup", &fields).await
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        self.submit("/admin/sign-in", "/admin/sign-in", &[("email", email), ("password", password)]).await
    }
}

/// In a real browser: the first owner (Olivia, `olivia@example.com`) sets up with `token` and
/// signs in at the relay `url`, in the forms as a person would.
pub async fn set_up_and_sign_in(owner: &crate::browser::Browser, url: &str, token: &str) {
    owner.goto(&format!("{url}/admin/")).await;
    owner.page_element("#f-token").await;
    owner.fill("#f-token", token).await;
    owner.fill("#f-name", "Olivia Owner").await;
    owner.fill("#f-email", "olivia@example.com").await;
    owner.fill("#f-password", PASSWORD).await;
    owner.screenshot("dashboard-setup").await;
    owner.click("main form button[type=submit]").await;

    owner.page_shows("Sign in").await;
    owner.fill("#f-email", "olivia@example.com").await;
    owner.fill("#f-password", PASSWORD).await;
    owner.click("main form button[type=submit]").await;
    owner.page_shows("New site").await;
}
