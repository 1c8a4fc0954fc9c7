//! What a browser downloads to open the chat: the loader points at content-addressed widget
//! URLs cached for a year, served precompressed (brotli or gzip, whichever the browser accepts);
//! the loader itself is compressed, cached five minutes and revalidated by ETag.

use baton_tests::{test_config, TestDb, TestRelay};
use reqwest::header;

/// A built widget folder with precompressed variants, as Trunk's post-build hook leaves it.
fn widget_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("texts")).unwrap();
    for (name, body) in [
        ("baton-widget.js", "export default async function init() {}\n".repeat(50)),
        ("baton-widget_bg.wasm", "\0asm-pretend".repeat(100)),
        ("baton.css", ".baton{color:red}\n".repeat(50)),
        ("texts/de.json", format!("{{\"send\":\"Nachricht senden\"{}}}", " ".repeat(100))),
    ] {
        std::fs::write(dir.path().join(name), &body).unwrap();
        std::fs::write(dir.path().join(format!("{name}.br")), format!("br:{name}")).unwrap();
        std::fs::write(dir.path().join(format!("{name}.gz")), format!("gz:{name}")).unwrap();
    }
    dir
}

#[tokio::test]
async fn the_widget_is_served_precompressed_under_immutable_build_urls() {
    let db = TestDb::new();
    let dist = widget_dir();
    let mut config = test_config(&db);
    config.widget_dir = dist.path().to_path_buf();
    let relay = TestRelay::start_with(config).await;
    // reqwest here decodes nothing: the raw bytes on the wire are what is checked.
    let http = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();

    let loader = http
        .get(format!("{}/embed.js", relay.http_url()))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(loader.status(), 200);
    assert_eq!(loader.headers()[header::CACHE_CONTROL], "public, max-age=300");
    assert_eq!(loader.headers()[header::CONTENT_ENCODING], "gzip", "the loader is compressed on the wire");
    let etag = loader.headers()[header::ETAG].clone();
    let plain = http.get(format!("{}/embed.js", relay.http_url())).send().await.unwrap().text().await.unwrap();
    assert!(plain.starts_with("(function"), "served without its leading comment: {}", &plain[..40]);
    let loose = plain.lines().find(|line| line.is_empty() || line.starts_with([' ', '\t']) || line.starts_with("//"));
    assert_eq!(loose, None, "served without comment lines, indentation or empty lines");
    let start = plain.find("relay + \"/widget/").expect("the loader names the widget folder") + 17;
    let build = &plain[start..start + 12];
    assert!(build.chars().all(|c| c.is_ascii_hexdigit()), "a content digest names the build: {build}");
    // Compressed once at start at the best settings: brotli for browsers that take it, gzip for
    // the others, the same text either way.
    let loader_in = |encoding: &'static str| {
        let request = http.get(format!("{}/embed.js", relay.http_url())).header(header::ACCEPT_ENCODING, encoding);
        async move { request.send().await.unwrap() }
    };
    let br = loader_in("gzip, deflate, br, zstd").await;
    assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(br.headers()[header::VARY], "accept-encoding");
    let br = br.bytes().await.unwrap();
    let gz = loader_in("gzip").await.bytes().await.unwrap();
    assert!(br.len() < gz.len() && gz.len() < plain.len(), "{} < {} < {}", br.len(), gz.len(), plain.len());
    println!("embed.js as served: {} B, gzip {} B, brotli {} B", plain.len(), gz.len(), br.len());
    assert_eq!(loader_in("br;q=0, gzip").await.headers()[header::CONTENT_ENCODING], "gzip");
    assert!(loader_in("identity").await.headers().get(header::CONTENT_ENCODING).is_none());
    let mut unbrotlied = Vec::new();
    brotli::BrotliDecompress(&mut &br[..], &mut unbrotlied).expect("brotli");
    let mut ungzipped = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut ungzipped).expect("gzip");
    assert_eq!((String::from_utf8(unbrotlied).unwrap(), ungzipped), (plain.clone(), plain.clone()), "the same loader");
    let again =
        http.get(format!("{}/embed.js", relay.http_url())).header(header::IF_NONE_MATCH, etag).send().await.unwrap();
    assert_eq!(again.status(), 304, "an unchanged loader is revalidated, not downloaded again");

    // The text tables are fetched by the wasm (visitors who do not speak English), like it.
    for name in ["baton-widget.js", "baton-widget_bg.wasm", "baton.css", "texts/de.json"] {
        let url = format!("{}/widget/{build}/{name}", relay.http_url());
        let br = http.get(&url).header(header::ACCEPT_ENCODING, "br, gzip").send().await.unwrap();
        assert_eq!(br.status(), 200, "{name}");
        assert_eq!(br.headers()[header::CONTENT_ENCODING], "br", "{name}");
        assert_eq!(br.headers()[header::CACHE_CONTROL], "public, max-age=31536000, immutable", "{name}");
        assert_eq!(br.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*", "{name}: host pages import it cross-origin");
        assert_eq!(br.text().await.unwrap(), format!("br:{name}"));
        let gz = http.get(&url).header(header::ACCEPT_ENCODING, "gzip").send().await.unwrap();
        assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip", "{name}");
        let raw = http.get(&url).send().await.unwrap();
        assert!(raw.headers().get(header::CONTENT_ENCODING).is_none(), "{name}");
        assert!(raw.bytes().await.unwrap().len() > 100, "{name}: the original without Accept-Encoding");
    }
    let unversioned = http.get(format!("{}/widget/baton.css", relay.http_url())).send().await.unwrap();
    assert_eq!(unversioned.status(), 200);
    assert_eq!(unversioned.headers()[header::CACHE_CONTROL], "no-cache", "stable names are revalidated");
}
