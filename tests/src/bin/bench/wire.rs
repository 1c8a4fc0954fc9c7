//! The widget's bytes on the wire when a page first opens the chat, as Baton serves them to a
//! browser that accepts brotli: the loader, then the widget's JS, wasm and CSS under the build
//! URL the loader names. `None` when the widget is not built (no `dist/`).

use reqwest::header;

use crate::targets::Target;

pub struct Wire {
    /// (file, bytes on the wire, content encoding)
    pub files: Vec<(String, usize, String)>,
}

impl Wire {
    pub fn total(&self) -> usize {
        self.files.iter().map(|f| f.1).sum()
    }
}

pub async fn run(target: &Target) -> anyhow::Result<Option<Wire>> {
    if !baton_tests::workspace_root().join("dist/baton-widget_bg.wasm").exists() {
        return Ok(None);
    }
    // Nothing is decoded here: the body's length is what crossed the wire.
    let http = reqwest::Client::builder().no_gzip().no_brotli().build()?;
    let get = |path: String| {
        let http = http.clone();
        let url = format!("{}{path}", target.http());
        async move {
            let response = http.get(&url).header(header::ACCEPT_ENCODING, "br, gzip").send().await?;
            anyhow::ensure!(response.status().is_success(), "{url}: {}", response.status());
            let encoding = response
                .headers()
                .get(header::CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("identity")
                .to_string();
            Ok::<_, anyhow::Error>((response.bytes().await?.len(), encoding))
        }
    };
    let mut files = Vec::new();
    let (bytes, encoding) = get("/embed.js".into()).await?;
    files.push(("embed.js".to_string(), bytes, encoding));
    let loader = reqwest::get(format!("{}/embed.js", target.http())).await?.text().await?;
    let build = loader
        .split("relay + \"/widget/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .ok_or_else(|| anyhow::anyhow!("the loader names no widget build"))?
        .to_string();
    for name in ["baton-widget.js", "baton-widget_bg.wasm", "baton.css"] {
        let (bytes, encoding) = get(format!("/widget/{build}/{name}")).await?;
        files.push((name.to_string(), bytes, encoding));
    }
    Ok(Some(Wire { files }))
}
