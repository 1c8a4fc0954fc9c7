//! Files both ways in Chromium (issue 13, point 3): the visitor picks a photo with the
//! paperclip (a real file through WebDriver), sees it upload with its progress and then inline
//! in the chat; a pasted screenshot and a dropped file arrive the same way; the agent in the
//! built-in inbox sees the photo and sends a PDF back, which the visitor gets as a download
//! link at a signed address. In a German browser, a file over the site's size, a type the site
//! does not take (refused before any upload), one disguised as an image (refused by the relay
//! from its bytes) and one picked offline are each refused with a German message that names
//! the file. axe-core finds nothing in any of these states; each is saved as a screenshot
//! (`BATON_SCREENSHOT_DIR`).

use baton_tests::{
    axe,
    browser::{Browser, Options},
    test_config, TestDb, TestRelay,
};
use serde_json::{json, Value};

/// A 1×1 PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82";

const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF";

/// A PNG of `size` bytes: the 1×1 image, then padding after its end (browsers draw it; the
/// relay reads its type from the first bytes). Large, so its upload takes a few progress events.
fn big_png(size: usize) -> Vec<u8> {
    let mut bytes = PNG.to_vec();
    bytes.resize(size, 0);
    bytes
}

/// Writes `bytes` as `name` in `dir`, for a file input.
fn file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write the file to pick");
    path.display().to_string()
}

/// A JS expression making a `DataTransfer` holding one file of `bytes` (base64) as `name`.
fn data_transfer(name: &str, kind: &str, bytes: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!(
        "(() => {{ const bytes = Uint8Array.from(atob({}), c => c.charCodeAt(0)); const dt = new DataTransfer(); \
         dt.items.add(new File([bytes], {}, {{ type: {} }})); return dt; }})()",
        json!(b64),
        json!(name),
        json!(kind)
    )
}

/// Drags `dt` (a [`data_transfer`] expression) over the panel and drops it there, as a visitor
/// dragging a file from their desktop would (the events are composed: they leave the shadow root).
async fn drop_file(browser: &Browser, dt: &str) {
    browser
        .in_widget(&format!(
            "const dt = {dt}; const panel = root.querySelector('[data-testid=panel]'); \
             const fire = (el, type) => el.dispatchEvent(new DragEvent(type, {{ dataTransfer: dt, bubbles: true, cancelable: true, composed: true }})); \
             fire(panel, 'dragenter'); fire(panel, 'dragover'); \
             fire(panel, 'drop');"
        ))
        .await;
}

/// Records every state a staged file shows (`uploading:<percent>` or `ready:`) and every
/// status sentence, from now on, in `window.__files` and `window.__news`.
const WATCH_UPLOADS: &str = "window.__files = []; window.__news = []; \
    new MutationObserver(() => { \
      root.querySelectorAll('[data-testid=staged-file]').forEach(f => { \
        const bar = f.querySelector('progress'); window.__files.push(f.dataset.state + ':' + (bar ? bar.value : '')); }); \
      const news = root.querySelector('[data-testid=file-status]')?.textContent; \
      if (news && window.__news[window.__news.length - 1] !== news) window.__news.push(news); \
    }).observe(root, { subtree: true, childList: true, attributes: true, characterData: true });";

const FILE_ERROR: &str = "return root.querySelector('[data-testid=file-error]')?.textContent;";

/// Waits until the staged files are all uploaded, and returns their names.
async fn staged_ready(browser: &Browser, count: usize) -> Vec<String> {
    let body = format!(
        "const files = Array.from(root.querySelectorAll('[data-testid=staged-file]')); \
         return files.length === {count} && files.every(f => f.dataset.state === 'ready') && \
         files.map(f => f.querySelector('.baton-staged__name').textContent);"
    );
    serde_json::from_value(browser.wait_for("the files uploaded", &body).await).unwrap()
}

/// Waits until the message of `role` shows an image `alt` loaded, and returns its link.
async fn image_shown(browser: &Browser, role: &str, alt: &str) -> String {
    let body = format!(
        "const img = Array.from(root.querySelectorAll('[data-testid=message][data-role={role}] [data-testid=attachment] img')) \
         .find(i => i.alt === {}); return img && img.complete && img.naturalWidth > 0 && img.closest('a').href;",
        json!(alt)
    );
    browser.wait_for(&format!("the image {alt} shown"), &body).await.as_str().unwrap().to_string()
}

/// A Swedish shop on another origin (a language the widget does not speak, so it speaks the
/// browser's), under a strict CSP that lets the widget reach the relay (its socket, its
/// uploads, its files) and nothing else.
async fn foreign_page(relay: &TestRelay) -> String {
    let origin = relay.http_url();
    let csp = format!(
        "default-src 'none'; script-src {origin} 'wasm-unsafe-eval'; style-src {origin}; \
         connect-src {origin} ws://{}; img-src {origin}",
        relay.addr
    );
    let html = format!(
        "<!doctype html><html lang=\"sv\"><head><title>Butik</title></head><body><main><h1>Butik</h1></main>\
         <script src=\"{origin}/embed.js\" data-site=\"demo\" async></script></body></html>"
    );
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let (html, csp) = (html.clone(), csp.clone());
            async move { ([("content-security-policy", csp)], axum::response::Html(html)) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://localhost:{port}/")
}

/// Clicks `selector` in the inbox, again if the list was drawn anew in between (it is, as the
/// conversation changes).
async fn click_in_inbox(browser: &Browser, selector: &str) {
    for _ in 0..5 {
        if browser.page_element(selector).await.click().await.is_ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("{selector} could not be clicked");
}

#[tokio::test]
async fn a_photo_goes_to_the_agent_inline_and_a_pdf_comes_back_as_a_signed_download() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let url = relay.http_url();
    let files = tempfile::tempdir().unwrap();
    let agent = Browser::start().await;
    agent.sign_in_to_inbox(&url).await;
    let visitor = Browser::start().await;
    visitor.goto(&url).await;
    visitor.open_chat().await;
    visitor.wait_online().await;

    // The paperclip, labelled, opens a file picker limited to the site's types.
    let attach = visitor.widget_element("[data-testid=attach]").await;
    assert_eq!(attach.attr("aria-label").await.unwrap().as_deref(), Some("Attach files"));
    let accept = visitor.in_widget("return root.querySelector('[data-testid=file-input]').accept;").await;
    assert_eq!(accept, json!("image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain"));

    // A photo picked: its upload shows progress, then it waits, ready, for the message.
    visitor.in_widget(WATCH_UPLOADS).await;
    let photo = file(&files, "broken-lamp.png", &big_png(6 * 1024 * 1024));
    visitor.widget_element("[data-testid=file-input]").await.send_keys(&photo).await.expect("pick the photo");
    assert_eq!(staged_ready(&visitor, 1).await, ["broken-lamp.png"]);
    let seen: Vec<String> = serde_json::from_value(visitor.eval("return window.__files;").await).unwrap();
    assert!(seen.iter().any(|s| s.starts_with("uploading:")), "the upload's progress was shown: {seen:?}");
    assert!(seen.iter().any(|s| s == "ready:"), "ready, without a bar: {seen:?}");
    let news: Vec<String> = serde_json::from_value(visitor.eval("return window.__news;").await).unwrap();
    assert_eq!(news, ["Uploading broken-lamp.png…", "broken-lamp.png is ready to send."], "announced politely");
    let size = visitor.in_widget("return root.querySelector('.baton-staged__size').textContent;").await;
    assert_eq!(size, json!("6 MB"));
    visitor.screenshot("attachments-staged").await;
    axe::assert_clean(&visitor, "a photo ready to send").await;
    axe::assert_keyboard_usable(&visitor, "a photo ready to send").await;

    // Sent with a few words: the photo shows inline, its name as alt text, linking to itself.
    visitor.type_and_send("The lamp arrived broken").await;
    let link = image_shown(&visitor, "visitor", "broken-lamp.png").await;
    assert!(link.starts_with(&format!("{url}/attachments/")) && link.contains("expires=") && link.contains("&sig="));
    let target =
        visitor.in_widget("return root.querySelector('[data-testid=attachment]').getAttribute('target');").await;
    assert_eq!(target, json!("_blank"), "a click opens the whole image");
    assert_eq!(
        visitor.in_widget("return root.querySelectorAll('[data-testid=staged-file]').length;").await,
        json!(0),
        "the message took the file"
    );

    // A screenshot pasted into the message box, sent on its own.
    let pasted = data_transfer("screenshot.png", "image/png", PNG);
    visitor
        .in_widget(&format!(
            "root.querySelector('[data-testid=composer]').dispatchEvent(new ClipboardEvent('paste', \
             {{ clipboardData: {pasted}, bubbles: true, cancelable: true, composed: true }}));"
        ))
        .await;
    assert_eq!(staged_ready(&visitor, 1).await, ["screenshot.png"]);
    visitor.widget_element("[data-testid=send]").await.click().await.unwrap();
    image_shown(&visitor, "visitor", "screenshot.png").await;

    // A file dragged over the panel: the panel says to drop it; dropped, it is taken.
    visitor
        .in_widget(&format!(
            "const dt = {}; root.querySelector('[data-testid=panel]').dispatchEvent(new DragEvent('dragenter', \
             {{ dataTransfer: dt, bubbles: true, cancelable: true, composed: true }}));",
            data_transfer("receipt.png", "image/png", PNG)
        ))
        .await;
    let overlay = visitor
        .wait_for("the drop overlay", "return root.querySelector('[data-testid=panel]').getAttribute('data-drop');")
        .await;
    assert_eq!(overlay, json!("Drop files here to send them"));
    visitor.screenshot("attachments-drop").await;
    drop_file(&visitor, &data_transfer("receipt.png", "image/png", PNG)).await;
    assert_eq!(staged_ready(&visitor, 1).await, ["receipt.png"]);
    visitor.wait_for("the overlay gone", "return !root.querySelector('[data-testid=panel][data-drop]');").await;
    // Taken off again before sending: nothing goes out.
    visitor.widget_element("[data-testid=staged-remove]").await.click().await.unwrap();
    visitor.wait_for("no file staged", "return !root.querySelector('[data-testid=staged-file]');").await;
    let focused = visitor.in_widget("return root.activeElement?.getAttribute('data-testid');").await;
    assert_eq!(focused, json!("composer"), "the focus goes back to the message box");
    visitor.screenshot("attachments-sent").await;
    axe::assert_clean(&visitor, "images in the chat").await;

    // The agent takes the chat in the inbox and sees the photo.
    visitor.widget_element("[data-testid=handover-request]").await.click().await.unwrap();
    click_in_inbox(&agent, "[data-testid=waiting] [data-testid=conversation-item] button").await;
    click_in_inbox(&agent, "[data-testid=accept]").await;
    visitor.wait_for_message("system", "joined").await;
    let shown = agent
        .wait_for(
            "the photo in the inbox",
            "const img = Array.from(document.querySelectorAll('[data-testid=transcript-file] img')).find(i => i.alt === 'broken-lamp.png'); \
             return img && img.complete && img.naturalWidth > 0;",
        )
        .await;
    assert_eq!(shown, json!(true));

    // The agent sends a PDF back; the visitor gets a download link with its name and size.
    agent.wait_for("the file button", "return !document.querySelector('[data-testid=reply-attach]').disabled;").await;
    let label = file(&files, "return-label.pdf", PDF);
    agent.page_element("[data-testid=reply-file]").await.send_keys(&label).await.expect("pick the PDF");
    let sent = agent
        .wait_for(
            "the PDF sent",
            "return document.querySelector('[data-testid=upload-status]').textContent.includes('sent') && \
             Array.from(document.querySelectorAll('[data-testid=transcript-message][data-role=agent] [data-testid=transcript-file]')) \
             .map(a => a.textContent).join();",
        )
        .await;
    assert_eq!(sent, json!(format!("return-label.pdf ({} B)", PDF.len())));
    agent.screenshot("attachments-inbox").await;
    axe::assert_clean(&agent, "the inbox with files both ways").await;
    let found = visitor
        .wait_for(
            "the PDF link",
            "const a = root.querySelector('[data-testid=message][data-role=agent] [data-testid=attachment]'); \
             return a && [a.textContent, a.href, a.getAttribute('download')];",
        )
        .await;
    let [text, href, download] = serde_json::from_value::<[String; 3]>(found).unwrap();
    assert_eq!(
        (text.as_str(), download.as_str()),
        (format!("return-label.pdf{} B", PDF.len()).as_str(), "return-label.pdf")
    );
    assert!(href.starts_with(&format!("{url}/attachments/")) && href.contains("&sig="), "{href}");
    let response = reqwest::get(&href).await.unwrap();
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.starts_with("attachment;") && disposition.contains("return-label.pdf"), "{disposition}");
    assert_eq!(&response.bytes().await.unwrap()[..], PDF);
    let unsigned = reqwest::get(href.split('?').next().unwrap()).await.unwrap();
    assert_eq!(unsigned.status(), 403, "only at the signed address");
    visitor.screenshot("attachments-agent-pdf").await;
    axe::assert_clean(&visitor, "the agent's PDF in the chat").await;
    axe::assert_keyboard_usable(&visitor, "the agent's PDF in the chat").await;
    visitor.close().await;
    agent.close().await;
}

#[tokio::test]
async fn in_a_german_browser_too_large_refused_and_offline_files_are_refused_in_german() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    let site = config.sites.get_mut("demo").unwrap();
    site.attachments.max_bytes = 1024 * 1024;
    site.attachments.types = vec!["image/png".into(), "application/pdf".into()];
    let relay = TestRelay::start_with(config).await;
    let files = tempfile::tempdir().unwrap();
    // On a shop of another origin: the upload is a CORS request with the token, the files come
    // from the relay's origin.
    let page = foreign_page(&relay).await;
    let visitor = Browser::start_with(Options { languages: Some("de-DE,de"), ..Options::default() }).await;
    visitor.goto(&page).await;
    visitor.open_chat().await;
    visitor.wait_online().await;
    let attach = visitor.widget_element("[data-testid=attach]").await;
    assert_eq!(attach.attr("aria-label").await.unwrap().as_deref(), Some("Dateien anhängen"));

    // Over the site's megabyte: refused at once, nothing uploaded.
    visitor.in_widget(WATCH_UPLOADS).await;
    let big = file(&files, "foto.png", &big_png(1024 * 1024 + 1));
    visitor.widget_element("[data-testid=file-input]").await.send_keys(&big).await.unwrap();
    let error = visitor.wait_for("the size refusal", FILE_ERROR).await;
    assert_eq!(error, json!("foto.png ist zu groß: Dateien dürfen höchstens 1 MB groß sein."));
    assert_eq!(visitor.eval("return window.__files;").await, json!([]), "no upload started");
    let role = visitor.in_widget("return root.querySelector('[data-testid=file-error]').getAttribute('role');").await;
    assert_eq!(role, json!("alert"), "announced");
    visitor.screenshot("attachments-de-too-large").await;
    axe::assert_clean(&visitor, "a file too large (German)").await;

    // A type the site does not take, by its name: refused before any upload.
    let notes = file(&files, "notizen.txt", b"Bestellung 40123");
    visitor.widget_element("[data-testid=file-input]").await.send_keys(&notes).await.unwrap();
    let refused = "notizen.txt kann nicht gesendet werden: Dieser Dateityp wird hier nicht angenommen.";
    let error = visitor
        .wait_for(
            "the type refusal",
            "const e = root.querySelector('[data-testid=file-error]')?.textContent; return e && e.startsWith('notizen') && e;",
        )
        .await;
    assert_eq!(error, json!(refused));
    assert_eq!(visitor.eval("return window.__files;").await, json!([]), "no upload started");
    visitor.screenshot("attachments-de-type").await;
    axe::assert_clean(&visitor, "a refused type (German)").await;

    // A page dressed as an image: uploaded, refused by the relay from its bytes, in German.
    drop_file(&visitor, &data_transfer("katze.png", "image/png", b"<!DOCTYPE html><script>alert(1)</script>")).await;
    let disguised = visitor
        .wait_for(
            "the relay's refusal",
            "const e = root.querySelector('[data-testid=file-error]')?.textContent; return e && e.startsWith('katze.png') && e;",
        )
        .await;
    assert_eq!(disguised, json!("katze.png kann nicht gesendet werden: Dieser Dateityp wird hier nicht angenommen."));
    assert_eq!(visitor.in_widget("return root.querySelectorAll('[data-testid=staged-file]').length;").await, json!(0));

    // Offline: refused with a German message, nothing staged.
    visitor.eval("Object.defineProperty(navigator, 'onLine', { value: false, configurable: true });").await;
    drop_file(&visitor, &data_transfer("rechnung.pdf", "application/pdf", PDF)).await;
    let offline = visitor
        .wait_for(
            "the offline refusal",
            "const e = root.querySelector('[data-testid=file-error]')?.textContent; return e && e.startsWith('rechnung') && e;",
        )
        .await;
    assert_eq!(offline, json!("rechnung.pdf wurde nicht hochgeladen: Sie sind offline."));
    visitor.screenshot("attachments-de-offline").await;
    axe::assert_clean(&visitor, "offline (German)").await;

    // Online again, an allowed file goes through and the refusal is gone.
    visitor.eval("Object.defineProperty(navigator, 'onLine', { value: true, configurable: true });").await;
    drop_file(&visitor, &data_transfer("rechnung.pdf", "application/pdf", PDF)).await;
    assert_eq!(staged_ready(&visitor, 1).await, ["rechnung.pdf"]);
    assert_eq!(visitor.in_widget(FILE_ERROR).await, Value::Null);
    visitor.widget_element("[data-testid=send]").await.click().await.unwrap();
    let link = visitor
        .wait_for(
            "the PDF sent",
            "const a = root.querySelector('[data-testid=message][data-role=visitor] [data-testid=attachment]'); return a && a.textContent;",
        )
        .await;
    assert_eq!(link, json!(format!("rechnung.pdf{} B", PDF.len())));
    visitor.screenshot("attachments-de-sent").await;
    axe::assert_clean(&visitor, "a PDF sent (German)").await;
    visitor.close().await;
}
